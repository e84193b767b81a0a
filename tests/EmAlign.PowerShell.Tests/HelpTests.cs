using System.Text.RegularExpressions;
using System.Xml.Linq;
using EmAlign.PowerShell.Tests.Help;
using EmAlign.PowerShell.Tests.Support;

namespace EmAlign.PowerShell.Tests;

/// <summary>
/// Help: every cmdlet and parameter is documented, examples use only what exists, and the shipped MAML is the
/// generator's current output. To regenerate it: EMALIGN_UPDATE_HELP=1 dotnet test tests/EmAlign.PowerShell.Tests --filter HelpTests
/// </summary>
public partial class HelpTests
{
    public static TheoryData<string> Cmdlets() => [.. CmdletReader.All.Select(c => c.Name)];

    private static readonly string[] CommonParameters =
    [
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    ];

    [Fact]
    public void EveryCmdletHasAHelpSourceAndNoSourceIsStray() =>
        Assert.Equal(CmdletReader.All.Select(c => c.Name + ".md").Order(),
            Directory.GetFiles(HelpMarkdown.SourceFolder, "*.md").Select(Path.GetFileName).Order());

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void HelpHasSynopsisDescriptionExamplesNotesAndLinks(string name)
    {
        var h = HelpMarkdown.Load(name);
        Assert.Equal(name, h.Name);
        Assert.False(string.IsNullOrWhiteSpace(h.Synopsis));
        Assert.NotEmpty(h.Description);
        Assert.NotEmpty(h.Examples);
        Assert.All(h.Examples, e =>
        {
            Assert.Contains(name, e.Code);
            Assert.False(string.IsNullOrWhiteSpace(e.Remarks), $"{name} {e.Title}: explain the example");
        });
        Assert.NotEmpty(h.Notes);
        Assert.All(h.RelatedLinks, l => Assert.Contains(l, CmdletReader.All.Select(c => c.Name)));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryParameterHasHelpAndHelpNamesOnlyRealParameters(string name)
    {
        var c = CmdletReader.Get(name);
        var h = HelpMarkdown.Load(name);
        foreach (var p in c.Parameters)
        {
            Assert.True(h.Parameters.TryGetValue(p.Name, out var text), $"{name}: -{p.Name} has no help");
            Assert.True(text.Count > 0 && text.All(t => t.Length > 20), $"{name}: -{p.Name}'s help is too thin");
        }
        Assert.Equal(c.Parameters.Select(p => p.Name).Order(), h.Parameters.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void InputsAndOutputsMatchTheMetadata(string name)
    {
        var c = CmdletReader.Get(name);
        var h = HelpMarkdown.Load(name);
        Assert.Equal(c.OutputTypes.Select(t => t.FullName).Order(), h.Outputs.Select(o => o.TypeName).Order());
        var piped = c.Parameters.Where(p => p.Sets.Any(s => s.ByValue || s.ByPropertyName)).Select(p => (Nullable.GetUnderlyingType(p.Type) ?? p.Type).FullName).Distinct().Order();
        Assert.Equal(piped.DefaultIfEmpty("None"), h.Inputs.Select(i => i.TypeName).Order());
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void ExamplesUseOnlyCmdletsAndParametersThatExist(string name)
    {
        foreach (var e in HelpMarkdown.Load(name).Examples)
            foreach (var segment in e.Code.Split('|'))
            {
                var tokens = segment.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (tokens.Length == 0 || !EmCmdlet().IsMatch(tokens[0])) continue;
                var used = CmdletReader.All.SingleOrDefault(c => c.Name == tokens[0]);
                Assert.True(used is not null, $"{name} {e.Title}: {tokens[0]} does not exist");
                var known = used.Parameters.SelectMany(p => p.Aliases.Prepend(p.Name))
                    .Concat(CommonParameters).Concat(used.SupportsShouldProcess ? ["WhatIf", "Confirm"] : []);
                foreach (var t in tokens.Where(t => t.StartsWith('-') && t.Length > 1 && char.IsLetter(t[1])))
                    Assert.True(known.Contains(t[1..].TrimEnd(':'), StringComparer.OrdinalIgnoreCase), $"{name} {e.Title}: {used.Name} has no parameter {t}");
            }
    }

    [Fact]
    public void TheShippedHelpFileIsTheGeneratorsOutput()
    {
        var generated = MamlWriter.Generate(CmdletReader.All, HelpMarkdown.Load);
        if (Environment.GetEnvironmentVariable("EMALIGN_UPDATE_HELP") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(MamlWriter.OutputPath)!);
            File.WriteAllText(MamlWriter.OutputPath, generated);
        }
        Assert.True(File.Exists(MamlWriter.OutputPath) && File.ReadAllText(MamlWriter.OutputPath) == generated,
            $"{MamlWriter.OutputPath} is missing or stale: run EMALIGN_UPDATE_HELP=1 dotnet test tests/EmAlign.PowerShell.Tests --filter HelpTests");
    }

    [Fact]
    public void TheHelpFileIsMamlWithACommandPerCmdletAndTextForEveryParameter()
    {
        var doc = XDocument.Load(MamlWriter.OutputPath);
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10", maml = "http://schemas.microsoft.com/maml/2004/10";
        Assert.Equal("helpItems", doc.Root!.Name.LocalName);
        Assert.Equal("maml", (string?)doc.Root.Attribute("schema"));
        var commands = doc.Root.Elements(command + "command").ToList();
        Assert.Equal(CmdletReader.All.Select(c => c.Name).Order(), commands.Select(c => c.Element(command + "details")!.Element(command + "name")!.Value).Order());
        foreach (var cmd in commands)
        {
            var name = cmd.Element(command + "details")!.Element(command + "name")!.Value;
            var c = CmdletReader.Get(name);
            var documented = cmd.Element(command + "parameters")!.Elements(command + "parameter").ToList();
            Assert.Equal(c.Parameters.Count + (c.SupportsShouldProcess ? 2 : 0), documented.Count);
            Assert.All(documented, p => Assert.NotEmpty(p.Element(maml + "description")!.Elements(maml + "para")));
            Assert.Equal(Math.Max(1, c.SetNames.Count), cmd.Element(command + "syntax")!.Elements(command + "syntaxItem").Count());
        }
    }

    // Em-prefixed nouns and the domain nouns that stand alone (SurfaceTests.DomainNouns).
    [GeneratedRegex("^[A-Z][a-z]+-(Em[A-Za-z]+|DataBoundingBox|FlowField|MeshRelaxation|WarpedVolume|RansacAffine)$")]
    private static partial Regex EmCmdlet();
}
