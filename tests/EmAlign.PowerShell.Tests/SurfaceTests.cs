using System.Management.Automation;
using System.Reflection;
using EmAlign.PowerShell.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.PowerShell.Tests;

/// <summary>The cmdlet surface, checked from metadata (no PowerShell runtime exists on the build machines).</summary>
public class SurfaceTests
{
    public static TheoryData<string> Cmdlets() => [.. CmdletReader.All.Select(c => c.Name)];

    private static readonly string[] CommonParameters =
    [
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
    ];

    /// <summary>The approved verbs as PowerShellStandard 5.1 lists them (the Verbs* classes' constants).</summary>
    private static readonly HashSet<string> ApprovedVerbs =
    [
        .. new[] { typeof(VerbsCommon), typeof(VerbsData), typeof(VerbsLifecycle), typeof(VerbsDiagnostic), typeof(VerbsCommunications), typeof(VerbsSecurity), typeof(VerbsOther) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!),
    ];

    [Fact]
    public void TheModuleHasTheExpectedCmdletsAndEveryCmdletClassIsDeclared()
    {
        Assert.True(ApprovedVerbs.Count > 90, "reading the approved verbs failed");
        Assert.Equal(
            [
                "Export-EmAlignmentState", "Export-EmPyramid", "Export-EmVolume", "Export-WarpedVolume", "Find-DataBoundingBox", "Get-EmVolume", "Import-EmAlignmentState",
                "Invoke-MeshRelaxation", "Invoke-RansacAffine", "Measure-EmAlignment", "Measure-FlowField", "Merge-FlowField", "New-EmVolume", "Repair-FlowField",
            ],
            CmdletReader.All.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Equal(CmdletReader.All.Select(c => c.Type).Order(TypeOrder), CmdletReader.CmdletClasses(CmdletReader.ModuleAssembly).Order(TypeOrder));
    }

    private static readonly HashSet<string> DomainNouns = ["DataBoundingBox", "FlowField", "MeshRelaxation", "WarpedVolume", "RansacAffine"];

    private static readonly Comparer<Type> TypeOrder = Comparer<Type>.Create((a, b) => string.CompareOrdinal(a.FullName, b.FullName));

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void NamesUseAnApprovedVerbAndTheEmPrefixAndMatchTheClass(string name)
    {
        var c = CmdletReader.Get(name);
        Assert.Contains(c.Verb, ApprovedVerbs);
        // Generic nouns carry the Em prefix; the domain nouns the workflows are known by stand alone.
        if (!DomainNouns.Contains(c.Noun)) Assert.Matches("^Em[A-Z][A-Za-z]+$", c.Noun);
        Assert.False(c.Noun.EndsWith('s') && !c.Noun.EndsWith("ss"), $"{name}: nouns are singular");
        Assert.Equal($"{c.Verb}{c.Noun}Command", c.Type.Name);
        Assert.True(c.Type.IsSealed, $"{name}: cmdlet classes are sealed");
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void EveryCmdletDeclaresItsOutputTypeFromTheEngine(string name)
    {
        var c = CmdletReader.Get(name);
        Assert.NotEmpty(c.OutputTypes);
        Assert.All(c.OutputTypes, t => Assert.Equal(typeof(VolumeView).Assembly, t.Assembly));
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void WritersSupportShouldProcessAndForceAndReadersDoNot(string name)
    {
        var c = CmdletReader.Get(name);
        // Invoke-MeshRelaxation computes in memory, so Invoke is not a writer verb here.
        bool writer = c.Verb is "New" or "Export" or "Set" or "Remove" or "Save";
        Assert.Equal(writer, c.SupportsShouldProcess);
        if (!writer) return;
        Assert.Contains(c.Parameters, p => p.Name == "Force" && p.IsSwitch);
        Assert.True(c.ConfirmImpact <= (int)ConfirmImpact.Medium, $"{name}: routine writers must not prompt by default");
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void ParametersFollowPowerShellConventions(string name)
    {
        var c = CmdletReader.Get(name);
        foreach (var p in c.Parameters)
        {
            Assert.DoesNotContain(p.Name, CommonParameters);
            Assert.NotEqual(typeof(bool), p.Type); // flags are SwitchParameter
            Assert.All(p.Aliases, a => Assert.DoesNotContain(a, CommonParameters));
        }
        if (c.SetNames.Count > 1) Assert.False(string.IsNullOrEmpty(c.DefaultParameterSet), $"{name}: several parameter sets need a default");
        foreach (var set in c.SetNames.DefaultIfEmpty(CmdletMetadata.AllSets))
        {
            var inSet = c.InSet(set).ToList();
            Assert.True(inSet.Count(x => x.Use.ByValue) <= 1, $"{name} [{set}]: at most one parameter takes pipeline input by value");
            var positions = inSet.Where(x => x.Use.Position is not null).Select(x => x.Use.Position).ToList();
            Assert.Equal(positions.Distinct().Count(), positions.Count);
        }
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void WildcardPathsHaveALiteralPathWithThePSPathAlias(string name)
    {
        var c = CmdletReader.Get(name);
        var path = c.Parameters.SingleOrDefault(p => p.Name == "Path");
        if (path is null || !path.SupportsWildcards)
        {
            Assert.DoesNotContain(c.Parameters, p => p.Name == "LiteralPath");
            return;
        }
        var literal = Assert.Single(c.Parameters, p => p.Name == "LiteralPath");
        Assert.Contains("PSPath", literal.Aliases);
        Assert.Contains("LP", literal.Aliases);
        Assert.False(literal.SupportsWildcards);
        Assert.All(literal.Sets, s => Assert.True(s.ByPropertyName, "FileInfo objects bind to -LiteralPath through PSPath"));
        Assert.All(path.Sets, s => Assert.True(s.ByValue && s.ByPropertyName));
        Assert.Empty(path.Sets.Select(s => s.SetName).Intersect(literal.Sets.Select(s => s.SetName)));
    }

    [Fact]
    public void ConsumersTakeTheirObjectFromThePipeline()
    {
        // Commands on one volume take it from the pipeline; commands on a pair name the volumes by their role.
        foreach (var c in CmdletReader.All.Where(c => c.Parameters.Count(p => p.Type == typeof(VolumeView)) == 1))
            Assert.Equal("InputObject", Assert.Single(c.Parameters, p => p.Type == typeof(VolumeView)).Name);
        foreach (var c in CmdletReader.All.Where(c => c.Parameters.Count(p => p.Type == typeof(VolumeView)) > 1))
        {
            var roles = c.Parameters.Where(p => p.Type == typeof(VolumeView)).Select(p => p.Name).Order().ToList();
            Assert.True(roles.SequenceEqual(["Fixed", "Moving"]) || roles.SequenceEqual(["Like", "Volume"]), $"{c.Name}: volumes named {string.Join(", ", roles)}");
            Assert.All(c.Parameters.Where(p => p.Type == typeof(VolumeView)), p => Assert.All(p.Sets, s => Assert.True(s.Mandatory)));
        }
        foreach (var c in CmdletReader.All)
            foreach (var input in c.Parameters.Where(p => p.Name == "InputObject" || p.Sets.Any(s => s.ByValue && p.Type.Namespace!.StartsWith("EmAlign"))))
                Assert.All(input.Sets, s => Assert.True(s.ByValue && s.Mandatory, $"{c.Name}: -{input.Name} is mandatory pipeline input"));
        Assert.Equal(
            [
                "Export-EmAlignmentState", "Export-EmPyramid", "Export-EmVolume", "Export-WarpedVolume", "Find-DataBoundingBox", "Invoke-MeshRelaxation", "Measure-EmAlignment",
                "Measure-FlowField", "Merge-FlowField", "Repair-FlowField",
            ],
            CmdletReader.All.Where(c => c.Parameters.Any(p => p.Name == "InputObject")).Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>Node grids of transforms: one value per stride² pixels of a section, not voxels.</summary>
    private static readonly HashSet<Type> NodeGridTypes = [typeof(EmAlign.Maps.CoordinateMap)];

    [Fact]
    public void OutputTypesExposeNoVoxelArraysAndAreNotEnumerable()
    {
        var seen = new HashSet<Type>();
        foreach (var t in CmdletReader.All.SelectMany(c => c.OutputTypes)) Walk(t, depth: 0);

        void Walk(Type t, int depth)
        {
            if (depth > 4 || !seen.Add(t) || t.IsPrimitive || t == typeof(string) || NodeGridTypes.Contains(t)) return;
            Assert.False(typeof(System.Collections.IEnumerable).IsAssignableFrom(t) && t.IsClass && t.Namespace?.StartsWith("EmAlign") == true,
                $"{t}: the pipeline would unroll an enumerable volume");
            foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var pt = p.PropertyType;
                Assert.False(pt.IsArray && pt.GetElementType()!.IsPrimitive, $"{t.Name}.{p.Name} exposes a {pt.Name}: voxel data must not be a public property");
                if (pt.Namespace?.StartsWith("EmAlign") == true) Walk(pt, depth + 1);
            }
        }
    }
}
