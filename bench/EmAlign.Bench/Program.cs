using EmAlign.Bench;

// Usage: dotnet run -c Release --project bench/EmAlign.Bench -- [scenario ...]
// Each scenario times EmAlign and its peer (run by /usr/bin/python3 in the same invocation) on the same data
// and prints one row per measurement plus the ratio the issue's acceptance number asks for.
var scenarios = Scenarios.All;
var chosen = args.Length == 0 ? scenarios.Keys.ToList() : args.ToList();
var unknown = chosen.Where(c => !scenarios.ContainsKey(c)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown scenario(s): {string.Join(", ", unknown)}; known: {string.Join(", ", scenarios.Keys)}");
    return 2;
}
string work = Path.Combine(Path.GetTempPath(), "emalign-bench");
Directory.CreateDirectory(work);
foreach (var name in chosen)
{
    Console.WriteLine($"== {name}");
    scenarios[name](work);
}
return 0;
