using System.Text;

namespace EmAlign.PowerShell.Tests.Help;

public sealed record HelpExample(string Title, string Code, string Remarks);

public sealed record HelpTypeEntry(string TypeName, string Description);

/// <summary>The prose of one cmdlet's help, as written in src/EmAlign.PowerShell/Help/&lt;Verb-Noun&gt;.md.</summary>
public sealed record CmdletHelp(string Name, string Synopsis, IReadOnlyList<string> Description, IReadOnlyList<HelpExample> Examples,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Parameters, IReadOnlyList<HelpTypeEntry> Inputs, IReadOnlyList<HelpTypeEntry> Outputs,
    IReadOnlyList<string> Notes, IReadOnlyList<string> RelatedLinks);

/// <summary>
/// Reads the subset of platyPS's markdown schema the help sources use: front matter, "# Name", "## SYNOPSIS",
/// "## DESCRIPTION", "## EXAMPLES" ("### Example" + fenced code + remarks), "## PARAMETERS" ("### -Name" + prose),
/// "## INPUTS"/"## OUTPUTS" ("### Type" + prose), "## NOTES", "## RELATED LINKS" ("- Name"). Syntax and parameter
/// metadata are not written there: the generator takes them from the assembly so they cannot drift.
/// </summary>
public static class HelpMarkdown
{
    public static string SourceFolder => Support.Repo.File("src", "EmAlign.PowerShell", "Help");

    public static CmdletHelp Load(string cmdletName) => Parse(File.ReadAllText(Path.Combine(SourceFolder, cmdletName + ".md")));

    public static CmdletHelp Parse(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n').ToList();
        if (lines.Count > 0 && lines[0] == "---")
            lines.RemoveRange(0, lines.IndexOf("---", 1) + 1);

        string name = "";
        var sections = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("# ")) { name = line[2..].Trim(); current = null; }
            else if (line.StartsWith("## ")) sections[line[3..].Trim()] = current = [];
            else current?.Add(line);
        }
        List<string> Section(string s) => sections.TryGetValue(s, out var l) ? l : [];

        var examples = Subsections(Section("EXAMPLES")).Select(s =>
        {
            int open = s.Body.FindIndex(l => l.StartsWith("```"));
            int close = open < 0 ? -1 : s.Body.FindIndex(open + 1, l => l.StartsWith("```"));
            if (close < 0) return new HelpExample(s.Title, "", string.Join("\n\n", Paragraphs(s.Body)));
            return new HelpExample(s.Title, string.Join("\n", s.Body[(open + 1)..close]), string.Join("\n\n", Paragraphs(s.Body[(close + 1)..])));
        }).ToList();

        return new CmdletHelp(
            name,
            string.Join(" ", Paragraphs(Section("SYNOPSIS"))),
            Paragraphs(Section("DESCRIPTION")),
            examples,
            Subsections(Section("PARAMETERS")).ToDictionary(s => s.Title.TrimStart('-'), s => (IReadOnlyList<string>)Paragraphs(s.Body)),
            [.. Subsections(Section("INPUTS")).Select(s => new HelpTypeEntry(s.Title, string.Join("\n\n", Paragraphs(s.Body))))],
            [.. Subsections(Section("OUTPUTS")).Select(s => new HelpTypeEntry(s.Title, string.Join("\n\n", Paragraphs(s.Body))))],
            Paragraphs(Section("NOTES")),
            [.. Section("RELATED LINKS").Where(l => l.StartsWith("- ")).Select(l => l[2..].Trim())]);
    }

    private static IEnumerable<(string Title, List<string> Body)> Subsections(List<string> lines)
    {
        (string Title, List<string> Body)? current = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("### "))
            {
                if (current is { } c) yield return c;
                current = (line[4..].Trim(), []);
            }
            else current?.Body.Add(line);
        }
        if (current is { } last) yield return last;
    }

    /// <summary>Blank-line separated paragraphs, each joined into one line.</summary>
    private static List<string> Paragraphs(List<string> lines)
    {
        var result = new List<string>();
        var p = new StringBuilder();
        foreach (var line in lines.Append(""))
        {
            if (line.Trim().Length == 0)
            {
                if (p.Length > 0) { result.Add(p.ToString()); p.Clear(); }
            }
            else p.Append(p.Length > 0 ? " " : "").Append(line.Trim());
        }
        return result;
    }
}
