using System.Runtime.InteropServices;
using EmAlign.Diagnostics;
using EmAlign.Formats.Tiff;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>The TIFF-only codecs, predictors, natural order and calibration helpers on known vectors.</summary>
public class TiffCodecTests
{
    [Fact]
    public void PackBitsDecodesAppleExample()
    {
        // The example from Apple's PackBits technical note: runs, a literal and a no-op byte (0x80).
        byte[] packed = [0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA];
        byte[] expected = [0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
            0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA];
        var output = new byte[expected.Length];
        Assert.Equal(expected.Length, PackBits.Decode(packed, output));
        Assert.Equal(expected, output);
        // A destination that is too small is filled and no more.
        var small = new byte[5];
        Assert.Equal(5, PackBits.Decode(packed, small));
        Assert.Equal(expected[..5], small);
    }

    [Fact]
    public void LzwDecodesAHandPackedStream()
    {
        // Clear, 'A', 'B', 258 ("AB"), 260 ("ABA", the code being defined), EOI; 9-bit codes, MSB first.
        int[] codes = [256, 65, 66, 258, 260, 257];
        var packed = new byte[(codes.Length * 9 + 7) / 8];
        int bit = 0;
        foreach (int c in codes)
            for (int b = 8; b >= 0; b--, bit++)
                if ((c >> b & 1) != 0) packed[bit >> 3] |= (byte)(0x80 >> (bit & 7));
        var output = new byte[7];
        Assert.Equal(7, TiffLzw.Decode(packed, output));
        Assert.Equal("ABABABA"u8.ToArray(), output);
    }

    [Fact]
    public void LzwRejectsCodesBeyondTheTable()
    {
        // Clear, 'A', then 300: not yet defined.
        byte[] packed = [0x80, 0x10, 0x65, 0x80];
        Assert.Throws<CorruptDataException>(() => TiffLzw.Decode(packed, new byte[16]));
    }

    [Fact]
    public void HorizontalPredictorUndoesSpecExample()
    {
        // formats.md A18: u16 row 0,1,2,3,4 is stored 0,1,1,1,1.
        ushort[] row = [0, 1, 1, 1, 1, 5, 65535, 1, 1, 1];
        TiffPredictor.UndoHorizontal(MemoryMarshal.AsBytes(row.AsSpan()), 5, 2);
        Assert.Equal(new ushort[] { 0, 1, 2, 3, 4, 5, 4, 5, 6, 7 }, row);
    }

    [Fact]
    public void FloatingPointPredictorRegroupsBytesMostSignificantFirst()
    {
        float[] values = [1.5f, -2.25f, 1e-3f];
        // Encode as libtiff does: planes of most significant bytes first, then byte differences along the row.
        var src = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var row = new byte[12];
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 4; k++) row[k * 3 + i] = src[i * 4 + 3 - k];
        for (int i = row.Length - 1; i > 0; i--) row[i] -= row[i - 1];
        TiffPredictor.UndoFloatingPoint(row, 3, 4);
        Assert.Equal(values, MemoryMarshal.Cast<byte, float>(row.AsSpan()).ToArray());
    }

    [Fact]
    public void NaturalOrderComparesDigitRunsByValue()
    {
        string[] names = ["slice_10.tif", "slice_2.tif", "slice_1.tif", "Slice_3.tif", "slice_02.tif", "slice.tif", "slice_2a.tif", "slice_100000000000000000000.tif"];
        Array.Sort(names, NaturalOrder.Instance);
        // Equal values: the run with fewer leading zeros sorts first, before the rest of the names is compared.
        Assert.Equal(["Slice_3.tif", "slice.tif", "slice_1.tif", "slice_2.tif", "slice_2a.tif", "slice_02.tif", "slice_10.tif", "slice_100000000000000000000.tif"], names);
    }

    [Theory]
    [InlineData(250.0, 250u, 1u)]
    [InlineData(1 / 4.6, 5u, 23u)]
    [InlineData(0.5, 1u, 2u)]
    [InlineData(1 / 0.0046, 5000u, 23u)]
    public void RationalsAreExactForDecimalPixelSizes(double value, uint num, uint den)
    {
        Assert.Equal((num, den), TiffMetadata.Rational(value));
    }

    [Theory]
    [InlineData("um", "micrometer")]
    [InlineData("micron", "micrometer")]
    [InlineData("\\u00B5m", "micrometer")]
    [InlineData("µm", "micrometer")]
    [InlineData("nm", "nanometer")]
    [InlineData("pixel", null)]
    [InlineData("", null)]
    public void ImageJUnitsMapToEmAlignUnits(string unit, string? expected)
    {
        Assert.Equal(expected, TiffMetadata.CanonicalUnit(unit));
    }

    [Fact]
    public void ImageJDescriptionDeclaresPlanesAndCalibration()
    {
        Assert.Equal("ImageJ=1.11a\nimages=7\nslices=7\nunit=nm\nspacing=45\nloop=false\n",
            TiffMetadata.ImageJDescription(7, new VoxelSize(4.6, 4.6, 45)));
        Assert.Equal("ImageJ=1.11a\n", TiffMetadata.ImageJDescription(1, VoxelSize.Unknown));
    }
}
