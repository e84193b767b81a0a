namespace EmAlign.Diagnostics;

/// <summary>
/// A failure the user can act on: names the path or parameter (<see cref="Target"/>), what was found
/// and what was expected. Front ends show <see cref="Exception.Message"/> as is and exit with 1.
/// </summary>
public class EmAlignException : Exception
{
    public EmAlignException(string message, string? target = null, Exception? inner = null) : base(message, inner) => Target = target;

    /// <summary>The path or parameter the error is about, when there is one.</summary>
    public string? Target { get; }
}

/// <summary>The path does not exist.</summary>
public sealed class VolumeNotFoundException(string message, string path) : EmAlignException(message, path);

/// <summary>The path exists but is not a volume we can read, or its metadata is invalid.</summary>
public sealed class InvalidVolumeException(string message, string path, Exception? inner = null) : EmAlignException(message, path, inner);

/// <summary>Stored bytes (a chunk, a strip, a block) are damaged: truncated, corrupt or of the wrong size.</summary>
public sealed class CorruptDataException(string message, string? path = null, Exception? inner = null) : EmAlignException(message, path, inner);

/// <summary>The output exists and overwriting was not asked for (-Force / --force).</summary>
public sealed class OutputExistsException(string path)
    : EmAlignException($"'{path}' already exists: pass -Force (--force) to replace it.", path);
