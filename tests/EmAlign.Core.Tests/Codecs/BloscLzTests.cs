using EmAlign.Codecs;
using EmAlign.Diagnostics;

namespace EmAlign.Tests.Codecs;

public class BloscLzTests
{
    [Fact]
    public void DecodesSpecVectorA10()
    {
        byte[] stream = [0x23, 0x00, 0x00, 0x00, 0x00, 0xE0, 0xF0, 0x03, 0x02, 0x00, 0x00, 0x00];
        var output = new byte[256];
        output.AsSpan().Fill(0xEE);
        Assert.Equal(256, BloscLz.Decode(stream, output));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Fact]
    public void DecodesFarDistances()
    {
        // 10000 literal bytes (313 runs), then a far match of 300 bytes at distance 9000:
        // control 0xFF (extended length, high 31), extension 300-9 = 291 = 255 + 36, escape 255, distance-8192 = 808.
        var literals = CodecTestData.Random(10000, 1);
        var stream = new List<byte>();
        for (int i = 0; i < literals.Length; i += 32)
        {
            int run = Math.Min(32, literals.Length - i);
            stream.Add((byte)(run - 1));
            stream.AddRange(literals.AsSpan(i, run).ToArray());
        }
        stream.AddRange([0xFF, 255, 36, 255, 808 >> 8, 808 & 255, 0x00, 0x77]);
        var output = new byte[10301];
        Assert.Equal(10301, BloscLz.Decode(stream.ToArray(), output));
        Assert.Equal(literals, output[..10000]);
        Assert.Equal(literals.AsSpan(1000, 300).ToArray(), output[10000..10300]);
        Assert.Equal(0x77, output[10300]);
    }

    [Fact]
    public void RoundTripsAllSizesAndKinds()
    {
        foreach (int n in CodecTestData.Sizes)
        {
            foreach (var (name, data) in CodecTestData.Kinds(n, n + 3))
            {
                var encoded = new byte[BloscLz.MaxEncodedLength(n)];
                int length = BloscLz.Encode(data, encoded);
                Assert.True(n == 0 ? length == 0 : length > 0, $"{name} {n}");
                AssertStartsAndEndsWithLiterals(encoded.AsSpan(0, length), n);
                var output = new CodecTestData.Guarded(n);
                Assert.Equal(n, BloscLz.Decode(encoded.AsSpan(0, length), output.Span));
                Assert.True(output.Span.SequenceEqual(data), $"{name} of {n} bytes does not round-trip");
                output.AssertCanaryIntact();
                if (name == "zeros") Assert.True(length <= 40 + n / 200, $"{n} zeros took {length} bytes");
            }
        }
    }

    [Fact]
    public void EncodeReportsZeroWhenTheDestinationIsTooSmall()
    {
        var data = CodecTestData.EmLike(30000, 2, noise: 3);
        var full = new byte[BloscLz.MaxEncodedLength(data.Length)];
        int needed = BloscLz.Encode(data, full);
        Assert.True(needed < data.Length);
        foreach (int capacity in new[] { 0, 1, needed / 3, needed - 1 })
        {
            var guarded = new CodecTestData.Guarded(capacity);
            Assert.Equal(0, BloscLz.Encode(data, guarded.Span));
            guarded.AssertCanaryIntact();
        }
    }

    [Fact]
    public void CorruptOrTruncatedStreamsRaiseCorruptDataException()
    {
        var output = new byte[100];
        Assert.Throws<CorruptDataException>(() => BloscLz.Decode([0x05, 1, 2], output));          // literal run of 6 with 2 bytes
        Assert.Throws<CorruptDataException>(() => BloscLz.Decode([0x00, 1, 0x20, 0x05], output)); // distance 6 with 1 byte written
        Assert.Throws<CorruptDataException>(() => BloscLz.Decode([0x00, 1, 0xE0], output));       // extended match cut off

        var data = CodecTestData.Runs(4000, 8);
        var encoded = new byte[BloscLz.MaxEncodedLength(data.Length)];
        int length = BloscLz.Encode(data, encoded);
        var tooSmall = new CodecTestData.Guarded(3999);
        Assert.Throws<CorruptDataException>(() => BloscLz.Decode(encoded.AsSpan(0, length), tooSmall.Span));
        tooSmall.AssertCanaryIntact();

        var rng = new Random(9);
        for (int trial = 0; trial < 2000; trial++)
        {
            var damaged = encoded.AsSpan(0, rng.Next(1, length + 1)).ToArray();
            damaged[rng.Next(damaged.Length)] = (byte)rng.Next(256);
            var guarded = new CodecTestData.Guarded(data.Length);
            try
            {
                BloscLz.Decode(damaged, guarded.Span);
            }
            catch (CorruptDataException)
            {
            }
            guarded.AssertCanaryIntact();
        }
    }

    /// <summary>c-blosc requires a literal run first (its top bits are ignored) and last (it stops before a final match).</summary>
    private static void AssertStartsAndEndsWithLiterals(ReadOnlySpan<byte> stream, int n)
    {
        if (n == 0) return;
        Assert.True(stream[0] < 32, "first instruction is not a literal run");
        int ip = 0, op = 0;
        bool lastWasLiteral = false;
        while (ip < stream.Length)
        {
            int c = stream[ip++];
            if (c < 32)
            {
                ip += c + 1;
                op += c + 1;
                lastWasLiteral = true;
                continue;
            }
            int len = (c >> 5) - 1;
            if (len == 6) { int b; do { b = stream[ip++]; len += b; } while (b == 255); }
            int low = stream[ip++];
            if (low == 255 && (c & 31) == 31) ip += 2;
            op += len + 3;
            lastWasLiteral = false;
        }
        Assert.Equal(stream.Length, ip);
        Assert.Equal(n, op);
        Assert.True(lastWasLiteral, "stream ends with a match");
    }
}
