using System.Text.RegularExpressions;
using System.Xml.Linq;
using EmAlign.PowerShell.Tests.Support;

namespace EmAlign.PowerShell.Tests;

/// <summary>EmAlign.psd1 against the assembly and the repository (parsed as the restricted data language it is).</summary>
public partial class ManifestTests
{
    private static readonly string Manifest = File.ReadAllText(Repo.File("EmAlign.psd1"));

    /// <summary>The value of <c>Key = 'value'</c>, or the strings of <c>Key = @('a', 'b')</c>.</summary>
    private static IReadOnlyList<string> Value(string key)
    {
        var m = Regex.Match(Manifest, $@"^\s*{key}\s*=\s*(@\((?<list>[^)]*)\)|'(?<one>[^']*)')", RegexOptions.Multiline);
        Assert.True(m.Success, $"EmAlign.psd1 has no {key}");
        return m.Groups["one"].Success ? [m.Groups["one"].Value] : [.. Regex.Matches(m.Groups["list"].Value, "'([^']*)'").Select(x => x.Groups[1].Value)];
    }

    [Fact]
    public void CmdletsToExportIsExactlyTheCmdletSet() =>
        Assert.Equal(CmdletReader.All.Select(c => c.Name).Order(), Value("CmdletsToExport").Order());

    [Fact]
    public void OtherExportListsAreExplicitlyEmpty()
    {
        // An absent key means "*", which makes command discovery load the module.
        foreach (var key in new[] { "FunctionsToExport", "VariablesToExport", "AliasesToExport" }) Assert.Empty(Value(key));
    }

    [Fact]
    public void RootModuleIsTheCmdletAssemblyForPowerShell74Core()
    {
        Assert.Equal([CmdletReader.ModuleAssembly.GetName().Name + ".dll"], Value("RootModule"));
        Assert.Equal(["7.4"], Value("PowerShellVersion"));
        Assert.Equal(["Core"], Value("CompatiblePSEditions"));
        Assert.True(Guid.TryParse(Value("GUID")[0], out _));
    }

    [Fact]
    public void ModuleVersionIsTheBuildVersion()
    {
        var props = XDocument.Load(Repo.File("Directory.Build.props"));
        var version = props.Descendants("Version").Single().Value;
        Assert.Equal([version], Value("ModuleVersion"));
        Assert.Equal(version, CmdletReader.ModuleAssembly.GetName().Version!.ToString(3));
    }

    [Fact]
    public void FormatsToProcessNamesTheFormatFileInTheModule()
    {
        Assert.Equal(["EmAlign.Format.ps1xml"], Value("FormatsToProcess"));
        Assert.True(File.Exists(Repo.File("module", "EmAlign.Format.ps1xml")));
        Assert.Empty(Value("TypesToProcess"));
    }
}
