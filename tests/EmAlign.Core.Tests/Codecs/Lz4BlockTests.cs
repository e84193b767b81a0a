using EmAlign.Codecs;
using EmAlign.Diagnostics;

namespace EmAlign.Tests.Codecs;

public class Lz4BlockTests
{
    [Fact]
    public void DecodesSpecVectorA11()
    {
        byte[] block = [0x3F, 0x61, 0x62, 0x63, 0x03, 0x00, 0x09, 0x50, 0x62, 0x63, 0x58, 0x59, 0x5A];
        var expected = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abc", 11)) + "XYZ");
        var output = new byte[expected.Length];
        Assert.Equal(expected.Length, Lz4Block.Decode(block, output));
        Assert.Equal(expected, output);
    }

    public static IEnumerable<object[]> Encoders() =>
    [
        ["fast", 1], ["fast", 5], ["fast", 1000], ["hc", 1], ["hc", 5], ["hc", 9], ["hc", 12],
    ];

    private static int Encode(string kind, int parameter, ReadOnlySpan<byte> source, Span<byte> destination) =>
        kind == "fast" ? Lz4Block.Encode(source, destination, parameter) : Lz4Block.EncodeHC(source, destination, parameter);

    [Theory]
    [MemberData(nameof(Encoders))]
    public void RoundTripsAllSizesAndKinds(string kind, int parameter)
    {
        foreach (int n in CodecTestData.Sizes)
        {
            foreach (var (name, data) in CodecTestData.Kinds(n, n + 1))
            {
                var encoded = new byte[Lz4Block.MaxEncodedLength(n)];
                int length = Encode(kind, parameter, data, encoded);
                Assert.True(length > 0, $"{name} {n}");
                AssertEndRules(encoded.AsSpan(0, length), n);
                var decoded = new CodecTestData.Guarded(n);
                Assert.Equal(n, Lz4Block.Decode(encoded.AsSpan(0, length), decoded.Span));
                Assert.True(decoded.Span.SequenceEqual(data), $"{kind}/{parameter}: {name} of {n} bytes does not round-trip");
                decoded.AssertCanaryIntact();
                if (name == "zeros") Assert.True(length <= 16 + n / 250, $"{n} zeros took {length} bytes");
            }
        }
    }

    [Fact]
    public void HighCompressionIsSmallerOnEmLikeData()
    {
        var data = CodecTestData.EmLike(1 << 18, 3, noise: 2);
        var buffer = new byte[Lz4Block.MaxEncodedLength(data.Length)];
        int fast = Lz4Block.Encode(data, buffer);
        int hc = Lz4Block.EncodeHC(data, buffer, 9);
        int faster = Lz4Block.Encode(data, buffer, 8);
        Assert.True(hc < fast, $"hc {hc} >= fast {fast}");
        Assert.True(fast <= faster, $"acceleration 1 gave {fast}, acceleration 8 gave {faster}");
    }

    [Fact]
    public void EncodeReportsZeroWhenTheDestinationIsTooSmallAndNeverOverruns()
    {
        foreach (var (name, data) in CodecTestData.Kinds(20000, 9))
        {
            var full = new byte[Lz4Block.MaxEncodedLength(data.Length)];
            int needed = Lz4Block.Encode(data, full);
            int neededHc = Lz4Block.EncodeHC(data, full, 4);
            foreach (int capacity in new[] { 0, 1, needed / 2, needed - 1 })
            {
                var guarded = new CodecTestData.Guarded(capacity);
                Assert.Equal(0, Lz4Block.Encode(data, guarded.Span));
                guarded.AssertCanaryIntact();
            }
            var exact = new CodecTestData.Guarded(needed);
            Assert.Equal(needed, Lz4Block.Encode(data, exact.Span));
            exact.AssertCanaryIntact();
            var hcShort = new CodecTestData.Guarded(neededHc - 1);
            Assert.Equal(0, Lz4Block.EncodeHC(data, hcShort.Span, 4));
            hcShort.AssertCanaryIntact();
            Assert.True(needed > 0 && neededHc > 0, name);
        }
    }

    [Fact]
    public void MaxEncodedLengthCoversTheWorstCaseAndRejectsOversizedInputs()
    {
        Assert.Equal(16, Lz4Block.MaxEncodedLength(0));
        Assert.True(Lz4Block.MaxEncodedLength(Lz4Block.MaxInputLength) > Lz4Block.MaxInputLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Block.MaxEncodedLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Block.MaxEncodedLength(Lz4Block.MaxInputLength + 1));
    }

    [Fact]
    public void RejectsEmptyZeroOffsetAndDistanceBeforeStart()
    {
        var output = new byte[64];
        Assert.Throws<CorruptDataException>(() => Lz4Block.Decode([], output));
        // 1 literal then a match with offset 0.
        Assert.Throws<CorruptDataException>(() => Lz4Block.Decode([0x10, 0x41, 0x00, 0x00, 0x00], output));
        // 1 literal then a match 2 bytes back (only 1 byte exists).
        Assert.Throws<CorruptDataException>(() => Lz4Block.Decode([0x10, 0x41, 0x02, 0x00, 0x00], output));
        // literal length extension runs off the end.
        Assert.Throws<CorruptDataException>(() => Lz4Block.Decode([0xF0, 0xFF, 0xFF], output));
    }

    [Fact]
    public void OutputBeyondTheDestinationIsCorruptAndNeverWritten()
    {
        var data = CodecTestData.Runs(50000, 4);
        var encoded = new byte[Lz4Block.MaxEncodedLength(data.Length)];
        int length = Lz4Block.Encode(data, encoded);
        foreach (int capacity in new[] { 0, 1, 100, 49999 })
        {
            var guarded = new CodecTestData.Guarded(capacity);
            Assert.Throws<CorruptDataException>(() => Lz4Block.Decode(encoded.AsSpan(0, length), guarded.Span));
            guarded.AssertCanaryIntact();
        }
    }

    [Fact]
    public void TruncatedBlocksThrowOrDecodeShort()
    {
        var data = CodecTestData.Runs(3000, 5);
        var encoded = new byte[Lz4Block.MaxEncodedLength(data.Length)];
        int length = Lz4Block.Encode(data, encoded);
        for (int cut = 0; cut < length; cut++)
        {
            var output = new CodecTestData.Guarded(data.Length);
            try
            {
                // A block cut right after a match is accepted leniently; it then decodes short.
                Assert.True(Lz4Block.Decode(encoded.AsSpan(0, cut), output.Span) < data.Length, $"cut at {cut}");
            }
            catch (CorruptDataException)
            {
            }
            output.AssertCanaryIntact();
        }
    }

    [Fact]
    public void RandomCorruptionOnlyEverRaisesCorruptDataException()
    {
        var data = CodecTestData.Runs(5000, 6);
        var encoded = new byte[Lz4Block.MaxEncodedLength(data.Length)];
        int length = Lz4Block.Encode(data, encoded);
        var rng = new Random(7);
        for (int trial = 0; trial < 2000; trial++)
        {
            var damaged = encoded.AsSpan(0, length).ToArray();
            for (int k = rng.Next(1, 4); k > 0; k--) damaged[rng.Next(length)] = (byte)rng.Next(256);
            var output = new CodecTestData.Guarded(data.Length);
            try
            {
                Lz4Block.Decode(damaged, output.Span);
            }
            catch (CorruptDataException)
            {
            }
            output.AssertCanaryIntact();
        }
    }

    /// <summary>
    /// Checks the rules the reference decoder relies on: the block ends with a literal-only sequence,
    /// the last 5 bytes are literals and the last match starts at least 12 bytes before the end.
    /// </summary>
    private static void AssertEndRules(ReadOnlySpan<byte> block, int n)
    {
        int ip = 0, op = 0, lastMatchStart = -1, lastLiterals = 0;
        while (true)
        {
            int token = block[ip++];
            int literals = token >> 4;
            if (literals == 15) { int b; do { b = block[ip++]; literals += b; } while (b == 255); }
            ip += literals;
            op += literals;
            lastLiterals = literals;
            if (ip == block.Length) break;
            ip += 2;
            int match = token & 15;
            if (match == 15) { int b; do { b = block[ip++]; match += b; } while (b == 255); }
            lastMatchStart = op;
            op += match + 4;
        }
        Assert.Equal(n, op);
        if (lastMatchStart >= 0)
        {
            Assert.True(lastLiterals >= 5, $"block ends with {lastLiterals} literals");
            Assert.True(n - lastMatchStart >= 12, $"last match starts {n - lastMatchStart} bytes before the end");
        }
    }
}
