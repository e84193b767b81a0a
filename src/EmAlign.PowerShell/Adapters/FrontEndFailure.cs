using EmAlign.Diagnostics;

namespace EmAlign.FrontEnds;

/// <summary>
/// Error categories with the names and numeric values of System.Management.Automation.ErrorCategory (a test
/// checks this), so cmdlets cast, while this mapping stays free of PowerShell types and testable.
/// </summary>
internal enum FailureCategory
{
    NotSpecified = 0,
    InvalidArgument = 5,
    InvalidData = 6,
    NotImplemented = 11,
    ObjectNotFound = 13,
    OperationStopped = 14,
    PermissionDenied = 18,
    ResourceExists = 20,
    ResourceUnavailable = 21,
}

/// <summary>
/// How a front end reports an exception from the engine: a stable error id (scripts match on it), a category,
/// the message as the engine wrote it, the object the error is about, and what the user can do.
/// Shared (as a linked source file) by the cmdlets and the CLI.
/// </summary>
/// <param name="ErrorId">Stable identifier, e.g. "OutputExists" (PowerShell appends the command's name).</param>
/// <param name="Category">Kind of failure.</param>
/// <param name="Message">What was found and what was expected, as the engine said it.</param>
/// <param name="Target">The path or object the error is about.</param>
/// <param name="RecommendedAction">What the user can do, where there is something specific.</param>
/// <param name="Exception">The exception reported (unwrapped from AggregateException).</param>
internal sealed record FrontEndFailure(string ErrorId, FailureCategory Category, string Message, object? Target, string? RecommendedAction, Exception Exception)
{
    /// <summary>The user or the host stopped the operation (Ctrl+C, Stop-Job, a cancelled token).</summary>
    public bool IsCancellation => Category == FailureCategory.OperationStopped;

    /// <summary>
    /// Bad parameter values fail the same way for every input, so the command stops instead of reporting each
    /// input; problems of one input (missing, damaged, existing output) are reported and the rest goes on.
    /// </summary>
    public bool StopsCommand => Category is FailureCategory.InvalidArgument or FailureCategory.OperationStopped;

    /// <summary>
    /// Maps <paramref name="exception"/>. Path-specific engine errors name their own path as the target; for the
    /// others <paramref name="input"/> (the path or volume the command was working on) is the target.
    /// </summary>
    public static FrontEndFailure From(Exception exception, object? input)
    {
        var e = Unwrap(exception);
        return e switch
        {
            OperationCanceledException => new("Cancelled", FailureCategory.OperationStopped, "The operation was cancelled.", input, null, e),
            OutputExistsException x => new("OutputExists", FailureCategory.ResourceExists, x.Message, x.Target, "Pass -Force (--force) to replace it, or choose another output path.", e),
            VolumeNotFoundException x => new("VolumeNotFound", FailureCategory.ObjectNotFound, x.Message, x.Target, "Check the path; use -LiteralPath where the name contains [ or ].", e),
            NoDataFoundException x => new("NoDataFound", FailureCategory.ObjectNotFound, x.Message, x.Target, "Check the volume's contents, or try a finer level or a smaller -Sigma.", e),
            InvalidVolumeException x => new("InvalidVolume", FailureCategory.InvalidData, x.Message, x.Target, null, e),
            CorruptDataException x => new("CorruptData", FailureCategory.InvalidData, x.Message, x.Target ?? input, null, e),
            EmAlignException x => new("InvalidArgument", FailureCategory.InvalidArgument, x.Message, input ?? x.Target, null, e),
            ArgumentException x => new("InvalidArgument", FailureCategory.InvalidArgument, x.Message, input ?? x.ParamName, null, e),
            UnauthorizedAccessException => new("AccessDenied", FailureCategory.PermissionDenied, e.Message, input, null, e),
            FileNotFoundException or DirectoryNotFoundException => new("PathNotFound", FailureCategory.ObjectNotFound, e.Message, input, null, e),
            IOException => new("IOError", FailureCategory.ResourceUnavailable, e.Message, input, null, e),
            NotSupportedException => new("NotSupported", FailureCategory.NotImplemented, e.Message, input, null, e),
            // Anything else is a bug: keep the type in the message so reports of it are useful.
            _ => new("UnexpectedError", FailureCategory.NotSpecified, $"{e.GetType().Name}: {e.Message}", input, null, e),
        };
    }

    /// <summary>Parallel engine loops wrap failures; report the most specific one (an EmAlign error if any).</summary>
    private static Exception Unwrap(Exception e)
    {
        if (e is not AggregateException a) return e;
        var inner = a.Flatten().InnerExceptions;
        return Unwrap(inner.FirstOrDefault(x => x is EmAlignException) ?? inner.FirstOrDefault(x => x is not OperationCanceledException) ?? inner[0]);
    }
}
