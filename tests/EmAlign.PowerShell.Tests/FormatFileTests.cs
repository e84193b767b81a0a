using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using EmAlign.PowerShell.Tests.Support;

namespace EmAlign.PowerShell.Tests;

/// <summary>module/EmAlign.Format.ps1xml: a table view per output type, naming only properties that exist.</summary>
public partial class FormatFileTests
{
    private static readonly XDocument Format = XDocument.Load(Repo.File("module", "EmAlign.Format.ps1xml"));

    private static IEnumerable<XElement> Views => Format.Descendants("View");

    private static Type TypeOf(XElement view)
    {
        var name = view.Element("ViewSelectedBy")!.Element("TypeName")!.Value;
        return typeof(EmAlign.Volumes.VolumeView).Assembly.GetType(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not an engine type");
    }

    [Fact]
    public void EveryOutputTypeHasATableViewOfFourToSixColumns()
    {
        foreach (var type in CmdletReader.All.SelectMany(c => c.OutputTypes).Distinct())
        {
            var view = Assert.Single(Views, v => TypeOf(v) == type);
            var table = view.Element("TableControl");
            Assert.NotNull(table);
            int headers = table.Descendants("TableColumnHeader").Count();
            Assert.InRange(headers, 4, 6);
            Assert.Equal(headers, table.Descendants("TableColumnItem").Count());
        }
    }

    [Fact]
    public void ViewNamesAreUnique() => Assert.Equal(Views.Count(), Views.Select(v => v.Element("Name")!.Value).Distinct().Count());

    [Fact]
    public void ViewsNameOnlyPropertiesThatExist()
    {
        foreach (var view in Views)
        {
            var type = TypeOf(view);
            foreach (var p in view.Descendants("PropertyName")) Assert.NotNull(type.GetProperty(p.Value, BindingFlags.Public | BindingFlags.Instance));
            foreach (var sb in view.Descendants("ScriptBlock"))
                foreach (Match m in Property().Matches(sb.Value))
                {
                    var owner = type.GetProperty(m.Groups[1].Value);
                    Assert.True(owner is not null, $"{type.Name} has no property {m.Groups[1].Value} (script block: {sb.Value})");
                    if (m.Groups[2].Success)
                    {
                        var inner = Nullable.GetUnderlyingType(owner.PropertyType) ?? owner.PropertyType;
                        Assert.True(inner.GetProperty(m.Groups[2].Value) is not null || inner.GetMethod(m.Groups[2].Value) is not null,
                            $"{inner.Name} has no member {m.Groups[2].Value} (script block: {sb.Value})");
                    }
                }
        }
    }

    [GeneratedRegex(@"\$_\.(\w+)(?:\.(\w+))?")]
    private static partial Regex Property();
}
