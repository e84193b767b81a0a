using EmAlign.Diagnostics;
using EmAlign.FrontEnds;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.PowerShell.Tests.Adapters;

/// <summary>Export-EmPyramid's parameter decisions.</summary>
public class PyramidCommandsTests
{
    [Fact]
    public void LevelsAreMagsAsWebKnossosNamesThem()
    {
        Assert.Null(PyramidCommands.Mags(null));
        Assert.Equal([new Mag(2, 2, 1), new Mag(4, 4, 4)], PyramidCommands.Mags(["2-2-1", "4"]));
        var e = Assert.Throws<EmAlignException>(() => PyramidCommands.Mags(["2-2"]));
        Assert.Equal("Level", e.Target);
    }

    [Fact]
    public void OptionsCarryTheParameters()
    {
        var d = PyramidCommands.DownsampleOptions(["2-2-1"], PyramidMode.Isotropic, 8, DownsampleFilter.Mode, true);
        Assert.Equal([new Mag(2, 2, 1)], d.Mags!);
        Assert.Equal((PyramidMode.Isotropic, 8, DownsampleFilter.Mode, true), (d.Mode, d.Coarsest!.Value, d.Filter!.Value, d.Force));
        var l = PyramidCommands.LayerOptions("aligned", "segmentation", "wkw", "lz4hc", null, null, PyramidMode.Anisotropic, null, false);
        Assert.Equal(("aligned", "segmentation", "wkw", "lz4hc"), (l.Name, l.Category, l.DataFormat, l.Codec));
        Assert.Null(l.Mags);
        Assert.Equal("Mode", Assert.Throws<EmAlignException>(() => PyramidCommands.LayerOptions("a", "color", "zarr3", null, null, null, PyramidMode.Isotropic, null, false)).Target);
    }
}
