using System.Collections;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using EmAlign.PowerShell.Tests.Support;

namespace EmAlign.PowerShell.Tests.Help;

/// <summary>
/// Writes module/en-US/EmAlign.PowerShell.dll-Help.xml (MAML, the format Get-Help reads for binary modules) from
/// the cmdlet metadata (syntax, parameter attributes, types, defaults) and the markdown prose. platyPS would need
/// a live PowerShell session, which the build machines do not have.
/// </summary>
public static class MamlWriter
{
    public static string OutputPath => Repo.File("module", "en-US", CmdletReader.ModuleAssembly.GetName().Name + ".dll-Help.xml");

    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    /// <summary>Help of the parameters ShouldProcess adds, worded as PowerShell's own help words them.</summary>
    private static readonly (string Name, string Alias, string Text)[] ShouldProcessParameters =
    [
        ("Confirm", "cf", "Prompts you for confirmation before running the cmdlet."),
        ("WhatIf", "wi", "Shows what would happen if the cmdlet runs. The cmdlet is not run."),
    ];

    public static string Generate(IReadOnlyList<CmdletMetadata> cmdlets, Func<string, CmdletHelp> help)
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml), new XAttribute(XNamespace.Xmlns + "command", Command), new XAttribute(XNamespace.Xmlns + "dev", Dev),
            cmdlets.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => CommandElement(c, help(c.Name))));
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using var stream = new MemoryStream();
        using (var w = XmlWriter.Create(stream, settings)) new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(w);
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static XElement CommandElement(CmdletMetadata c, CmdletHelp h)
    {
        var defaults = Activator.CreateInstance(c.Type);
        return new XElement(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", c.Name),
                new XElement(Command + "verb", c.Verb),
                new XElement(Command + "noun", c.Noun),
                Description([h.Synopsis])),
            Description(h.Description),
            new XElement(Command + "syntax", c.SetNames.DefaultIfEmpty(CmdletMetadata.AllSets).Select(set =>
                new XElement(Command + "syntaxItem",
                    new XElement(Maml + "name", c.Name),
                    c.InSet(set).OrderBy(x => x.Use.Position ?? int.MaxValue).Select(x => Parameter(x.Parameter, x.Use, h, defaults, inSyntax: true)),
                    ShouldProcess(c)))),
            new XElement(Command + "parameters",
                c.Parameters.Select(p => Parameter(p, Merged(p), h, defaults, inSyntax: false)),
                ShouldProcess(c)),
            new XElement(Command + "inputTypes", h.Inputs.Select(i => new XElement(Command + "inputType", TypeElement(i.TypeName), Description([i.Description])))),
            new XElement(Command + "returnValues", h.Outputs.Select(o => new XElement(Command + "returnValue", TypeElement(o.TypeName), Description([o.Description])))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", h.Notes.Select(n => new XElement(Maml + "para", n)))),
            new XElement(Command + "examples", h.Examples.Select(e => new XElement(Command + "example",
                new XElement(Maml + "title", $"-------------------------- {e.Title} --------------------------"),
                new XElement(Dev + "code", e.Code),
                new XElement(Dev + "remarks", new XElement(Maml + "para", e.Remarks))))),
            new XElement(Command + "relatedLinks", h.RelatedLinks.Select(l => new XElement(Maml + "navigationLink",
                new XElement(Maml + "linkText", l), new XElement(Maml + "uri")))));
    }

    /// <summary>One entry for the parameters list: pipeline input from any set, required and position only if the same in all.</summary>
    private static ParameterSetUse Merged(ParameterMetadata p) => new(
        CmdletMetadata.AllSets,
        p.Sets.All(s => s.Mandatory),
        p.Sets.Select(s => s.Position).Distinct().Count() == 1 ? p.Sets[0].Position : null,
        p.Sets.Any(s => s.ByValue),
        p.Sets.Any(s => s.ByPropertyName));

    private static XElement Parameter(ParameterMetadata p, ParameterSetUse use, CmdletHelp h, object? defaults, bool inSyntax)
    {
        var valueType = Nullable.GetUnderlyingType(p.Type) ?? p.Type;
        string pipeline = (use.ByValue, use.ByPropertyName) switch
        {
            (true, true) => "True (ByPropertyName, ByValue)",
            (true, false) => "True (ByValue)",
            (false, true) => "True (ByPropertyName)",
            _ => "False",
        };
        return new XElement(Command + "parameter",
            new XAttribute("required", use.Mandatory ? "true" : "false"),
            new XAttribute("variableLength", valueType.IsArray ? "true" : "false"),
            new XAttribute("globbing", p.SupportsWildcards ? "true" : "false"),
            new XAttribute("pipelineInput", pipeline),
            new XAttribute("position", use.Position?.ToString() ?? "named"),
            new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(h.Parameters.TryGetValue(p.Name, out var text) ? text : []),
            p.IsSwitch && inSyntax ? null : new XElement(Command + "parameterValue",
                new XAttribute("required", p.IsSwitch ? "false" : "true"), new XAttribute("variableLength", valueType.IsArray ? "true" : "false"), ShortName(valueType)),
            TypeElement(valueType.FullName!),
            new XElement(Dev + "defaultValue", DefaultText(p, use, defaults)));
    }

    private static IEnumerable<XElement> ShouldProcess(CmdletMetadata c) => !c.SupportsShouldProcess ? [] : ShouldProcessParameters.Select(s =>
        new XElement(Command + "parameter",
            new XAttribute("required", "false"), new XAttribute("variableLength", "false"), new XAttribute("globbing", "false"),
            new XAttribute("pipelineInput", "False"), new XAttribute("position", "named"), new XAttribute("aliases", s.Alias),
            new XElement(Maml + "name", s.Name),
            Description([s.Text]),
            TypeElement("System.Management.Automation.SwitchParameter"),
            new XElement(Dev + "defaultValue", "False")));

    /// <summary>The property's value on a fresh cmdlet object (the stub SMA constructs them), for optional parameters.</summary>
    private static string DefaultText(ParameterMetadata p, ParameterSetUse use, object? defaults)
    {
        if (p.IsSwitch) return "False";
        if (use.Mandatory) return "None";
        var value = defaults?.GetType().GetProperty(p.Name)!.GetValue(defaults);
        return value switch
        {
            null => "None",
            string s when s.Length == 0 => "None",
            ICollection { Count: 0 } => "None",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "None",
        };
    }

    private static string ShortName(Type t) => t.IsArray ? ShortName(t.GetElementType()!) + "[]" : t.Name;

    private static XElement TypeElement(string fullName) => new(Dev + "type", new XElement(Maml + "name", fullName), new XElement(Maml + "uri"));

    private static XElement Description(IEnumerable<string> paragraphs) =>
        new(Maml + "description", paragraphs.Select(p => new XElement(Maml + "para", p)));
}
