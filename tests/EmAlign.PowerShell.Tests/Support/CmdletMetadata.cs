using System.Collections.ObjectModel;
using System.Reflection;

namespace EmAlign.PowerShell.Tests.Support;

/// <summary>How a parameter takes part in one parameter set ("__AllParameterSets" when it is in all).</summary>
public sealed record ParameterSetUse(string SetName, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName);

public sealed record ParameterMetadata(string Name, Type Type, IReadOnlyList<string> Aliases, bool SupportsWildcards,
    IReadOnlyList<ParameterSetUse> Sets, IReadOnlyList<CustomAttributeData> Attributes)
{
    public bool IsSwitch => Type.FullName == "System.Management.Automation.SwitchParameter";
}

public sealed record CmdletMetadata(string Verb, string Noun, Type Type, string? DefaultParameterSet, bool SupportsShouldProcess,
    int ConfirmImpact, IReadOnlyList<Type> OutputTypes, IReadOnlyList<ParameterMetadata> Parameters)
{
    public string Name => $"{Verb}-{Noun}";

    /// <summary>The explicitly named parameter sets (empty when every parameter is in all sets).</summary>
    public IReadOnlyList<string> SetNames =>
        [.. Parameters.SelectMany(p => p.Sets).Select(s => s.SetName).Where(s => s != AllSets).Distinct().OrderBy(s => s == DefaultParameterSet ? 0 : 1).ThenBy(s => s)];

    public const string AllSets = "__AllParameterSets";

    /// <summary>The parameters of set <paramref name="set"/> (those in all sets included).</summary>
    public IEnumerable<(ParameterMetadata Parameter, ParameterSetUse Use)> InSet(string set) =>
        Parameters.SelectMany(p => p.Sets.Where(s => s.SetName == set || s.SetName == AllSets).Take(1).Select(s => (p, s)));
}

/// <summary>
/// Reads the cmdlet surface from <see cref="CustomAttributeData"/>: the PowerShellStandard SMA loaded here is an inert
/// stub whose attribute instances report default values, but the recorded constructor and named arguments are true.
/// </summary>
public static class CmdletReader
{
    private const string Sma = "System.Management.Automation.";

    public static Assembly ModuleAssembly => typeof(GetEmVolumeCommand).Assembly;

    public static IReadOnlyList<CmdletMetadata> All { get; } = Read(ModuleAssembly);

    public static CmdletMetadata Get(string name) => All.Single(c => c.Name == name);

    public static IReadOnlyList<CmdletMetadata> Read(Assembly assembly) =>
    [
        .. from t in assembly.GetTypes()
           let cmdlet = Attr(t.GetCustomAttributesData(), "CmdletAttribute")
           where cmdlet is not null
           orderby t.Name
           select Describe(t, cmdlet),
    ];

    /// <summary>Public non-abstract subclasses of SMA's Cmdlet, whether or not they carry [Cmdlet].</summary>
    public static IEnumerable<Type> CmdletClasses(Assembly assembly) =>
        assembly.GetTypes().Where(t => t.IsPublic && !t.IsAbstract && IsCmdlet(t));

    private static bool IsCmdlet(Type? t)
    {
        for (; t is not null; t = t.BaseType) if (t.FullName == Sma + "Cmdlet") return true;
        return false;
    }

    private static CmdletMetadata Describe(Type t, CustomAttributeData cmdlet)
    {
        var outputs = t.GetCustomAttributesData().Where(a => a.AttributeType.FullName == Sma + "OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is ReadOnlyCollection<CustomAttributeTypedArgument> many ? many.Select(m => (Type)m.Value!) : [(Type)arg.Value!])
            .ToList();
        var parameters = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attrs: p.GetCustomAttributesData()))
            .Where(p => p.Attrs.Any(a => a.AttributeType.FullName == Sma + "ParameterAttribute"))
            .OrderBy(p => p.Property.MetadataToken)
            .Select(p => new ParameterMetadata(
                p.Property.Name,
                p.Property.PropertyType,
                [.. p.Attrs.Where(a => a.AttributeType.FullName == Sma + "AliasAttribute")
                    .SelectMany(a => a.ConstructorArguments)
                    .SelectMany(arg => arg.Value is ReadOnlyCollection<CustomAttributeTypedArgument> many ? many.Select(m => (string)m.Value!) : [(string)arg.Value!])],
                p.Attrs.Any(a => a.AttributeType.FullName == Sma + "SupportsWildcardsAttribute"),
                [.. p.Attrs.Where(a => a.AttributeType.FullName == Sma + "ParameterAttribute").Select(a => new ParameterSetUse(
                    Named<string>(a, "ParameterSetName") ?? CmdletMetadata.AllSets,
                    Named<bool>(a, "Mandatory"),
                    a.NamedArguments.Any(n => n.MemberName == "Position") ? Named<int>(a, "Position") : null,
                    Named<bool>(a, "ValueFromPipeline"),
                    Named<bool>(a, "ValueFromPipelineByPropertyName")))],
                p.Attrs.ToList()))
            .ToList();
        return new CmdletMetadata(
            (string)cmdlet.ConstructorArguments[0].Value!,
            (string)cmdlet.ConstructorArguments[1].Value!,
            t,
            Named<string>(cmdlet, "DefaultParameterSetName"),
            Named<bool>(cmdlet, "SupportsShouldProcess"),
            Named<int>(cmdlet, "ConfirmImpact"),
            outputs,
            parameters);
    }

    public static CustomAttributeData? Attr(IEnumerable<CustomAttributeData> attrs, string shortName) =>
        attrs.FirstOrDefault(a => a.AttributeType.FullName == Sma + shortName);

    public static T? Named<T>(CustomAttributeData a, string name) =>
        a.NamedArguments.Where(n => n.MemberName == name).Select(n => (T?)n.TypedValue.Value).FirstOrDefault();
}
