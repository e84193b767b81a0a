using EmAlign.Codecs;

namespace EmAlign.Tests.Codecs;

public class BloscShuffleTests
{
    [Fact]
    public void ByteShuffleMatchesSpecVectorA16()
    {
        byte[] input = [0x01, 0x00, 0x02, 0x00, 0x03, 0x00];
        var output = new byte[6];
        BloscShuffle.ByteShuffle(input, output, 2);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x00, 0x00, 0x00 }, output);
    }

    [Fact]
    public void BitShuffleMatchesSpecVectorA17()
    {
        var scratch = new byte[16];
        var output = new byte[8];
        BloscShuffle.BitShuffle(new byte[] { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80 }, output, 1, scratch);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80 }, output);
        BloscShuffle.BitShuffle(new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0 }, output, 1, scratch);
        Assert.Equal(new byte[] { 1, 1, 1, 1, 1, 1, 1, 1 }, output);

        var u16 = new byte[16];
        for (int i = 0; i < 8; i++) u16[2 * i] = (byte)i;
        var planes = new byte[16];
        BloscShuffle.BitShuffle(u16, planes, 2, scratch);
        Assert.Equal(new byte[] { 0xAA, 0xCC, 0xF0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, planes);
    }

    public static IEnumerable<object[]> Shapes()
    {
        foreach (int t in new[] { 1, 2, 3, 4, 5, 8, 16, 17 })
            foreach (int n in new[] { 0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 1000 })
                yield return [t, n, 0];
        yield return [4, 4096, 3];
        yield return [2, 4096, 1];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ByteShuffleFollowsTheFormulaAndInverts(int typeSize, int elements, int trailing)
    {
        var input = CodecTestData.Random(typeSize * elements + trailing, typeSize * 1000 + elements);
        var shuffled = new byte[input.Length];
        BloscShuffle.ByteShuffle(input, shuffled, typeSize);
        for (int i = 0; i < elements; i++)
            for (int j = 0; j < typeSize; j++)
                Assert.Equal(input[i * typeSize + j], shuffled[j * elements + i]);
        Assert.Equal(input[(typeSize * elements)..], shuffled[(typeSize * elements)..]);
        var back = new byte[input.Length];
        BloscShuffle.ByteUnshuffle(shuffled, back, typeSize);
        Assert.Equal(input, back);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BitShuffleFollowsTheFormulaAndInverts(int typeSize, int elements, int trailing)
    {
        var input = CodecTestData.Random(typeSize * elements + trailing, typeSize * 7 + elements);
        var shuffled = new byte[input.Length];
        var scratch = new byte[input.Length];
        BloscShuffle.BitShuffle(input, shuffled, typeSize, scratch);
        if (elements % 8 != 0)
        {
            Assert.Equal(input, shuffled); // left unchanged when the element count is not a multiple of 8
        }
        else
        {
            for (int i = 0; i < elements; i++)
                for (int j = 0; j < typeSize; j++)
                    for (int b = 0; b < 8; b++)
                    {
                        int inBit = (input[i * typeSize + j] >> b) & 1;
                        long k = (long)(j * 8 + b) * elements + i;
                        Assert.Equal(inBit, (shuffled[k / 8] >> (int)(k % 8)) & 1);
                    }
            Assert.Equal(input[(typeSize * elements)..], shuffled[(typeSize * elements)..]);
        }
        var back = new byte[input.Length];
        BloscShuffle.BitUnshuffle(shuffled, back, typeSize, scratch);
        Assert.Equal(input, back);
    }
}
