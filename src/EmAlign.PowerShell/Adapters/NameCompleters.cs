using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell;

/// <summary>Tab completion of -Format from the formats registered in the engine.</summary>
public sealed class FormatNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        NameCompletion.Matching(VolumeFormats.All.Select(f => f.Name), wordToComplete).Select(n => new CompletionResult(n));
}

/// <summary>Tab completion of -Codec from the codecs registered in the engine.</summary>
public sealed class CodecNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        NameCompletion.Matching(ChunkCodecs.Names, wordToComplete).Select(n => new CompletionResult(n));
}
