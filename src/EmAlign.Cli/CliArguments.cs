using System.Globalization;

namespace EmAlign.Cli;

/// <summary>The command line was malformed: exit code 2 with the usage text.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A verb's arguments: positionals, "--name value" / "--name=value" options, flags, and "--" ending options.
/// Anything undeclared is a usage error, so typos never pass silently.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CliArguments() { }

    public IReadOnlyList<string> Positionals { get; private set; } = [];

    /// <summary>--help or -h was given.</summary>
    public bool Help { get; private set; }

    public static CliArguments Parse(IEnumerable<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flags)
    {
        var result = new CliArguments();
        var positionals = new List<string>();
        using var e = args.GetEnumerator();
        bool optionsEnded = false;
        while (e.MoveNext())
        {
            string a = e.Current;
            if (optionsEnded || !a.StartsWith('-') || a == "-") { positionals.Add(a); continue; }
            if (a == "--") { optionsEnded = true; continue; }
            if (a is "--help" or "-h") { result.Help = true; continue; }
            int eq = a.IndexOf('=');
            string name = eq > 0 ? a[..eq] : a;
            if (valueOptions.Contains(name))
            {
                string value = eq > 0 ? a[(eq + 1)..] : e.MoveNext() ? e.Current : throw new UsageException($"{name} needs a value");
                if (!result._values.TryAdd(name, value)) throw new UsageException($"{name} is given twice");
            }
            else if (flags.Contains(name) && eq < 0) result._flags.Add(name);
            else throw new UsageException($"unknown option '{a}'");
        }
        result.Positionals = positionals;
        return result;
    }

    /// <summary>Checks there are exactly as many positionals as <paramref name="names"/> (the usage's placeholders).</summary>
    public void ExpectPositionals(params string[] names)
    {
        if (Positionals.Count < names.Length) throw new UsageException($"missing {names[Positionals.Count]}");
        if (Positionals.Count > names.Length) throw new UsageException($"unexpected argument '{Positionals[names.Length]}'");
    }

    public string? Value(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public bool Flag(string name) => _flags.Contains(name);

    public int? Int(string name, int min = int.MinValue) => Value(name) is not { } v ? null
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) && i >= min ? i
        : throw new UsageException($"{name} '{v}' is not {(min == 0 ? "a non-negative" : min == 1 ? "a positive" : "an")} integer");

    public double? Double(string name, double min) => Value(name) is not { } v ? null
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= min && double.IsFinite(d) ? d
        : throw new UsageException($"{name} '{v}' is not a number of at least {min}");

    /// <summary>A comma-separated list of positive integers with one of the allowed lengths (any length when none are given), e.g. "16,256,256".</summary>
    public int[]? PositiveInts(string name, string shape, params int[] lengths)
    {
        if (Value(name) is not { } v) return null;
        var parts = v.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
                throw new UsageException($"{name} '{v}' is not a list of positive integers {shape}");
        if (lengths.Length > 0 && !lengths.Contains(result.Length)) throw new UsageException($"{name} '{v}' has {result.Length} values: expected {shape}");
        return result;
    }

    /// <summary>The value of <paramref name="name"/>, which must be one of <paramref name="allowed"/> (case-insensitive).</summary>
    public string? OneOf(string name, IEnumerable<string> allowed)
    {
        if (Value(name) is not { } v) return null;
        var list = allowed.ToList();
        return list.FirstOrDefault(a => string.Equals(a, v, StringComparison.OrdinalIgnoreCase))
            ?? throw new UsageException($"{name} '{v}' is not known: expected one of {string.Join(", ", list)}");
    }
}
