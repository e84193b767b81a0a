namespace EmAlign.Tests.Codecs;

/// <summary>Inputs with the statistics zstd meets in chunks (noise and EM-like bytes come from <see cref="CodecTestData"/>).</summary>
internal static class ZstdTestData
{
    /// <summary>A short random motif repeated (period 1 is a run of one byte).</summary>
    public static byte[] Periodic(int n, int period, int seed)
    {
        var motif = CodecTestData.Random(period, seed);
        var data = new byte[n];
        for (int i = 0; i < n; i++) data[i] = motif[i % period];
        return data;
    }

    /// <summary>Zarr-chunk-like uint16 little-endian ramps (v = (7x + 13y + 29z) mod 65521) over 64 x 64 planes.</summary>
    public static byte[] Ramp16(int n)
    {
        var data = new byte[n];
        for (int i = 0; i + 1 < n; i += 2)
        {
            int e = i / 2, x = e % 64, y = e / 64 % 64, z = e / 4096;
            int v = (7 * x + 13 * y + 29 * z) % 65521;
            data[i] = (byte)v;
            data[i + 1] = (byte)(v >> 8);
        }
        return data;
    }

    /// <summary>Segmentation-like uint64 labels: constant 8-voxel runs of random ids.</summary>
    public static byte[] Labels64(int n, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[n];
        long label = 0;
        for (int i = 0; i + 7 < n; i += 8)
        {
            if (i % 64 == 0) label = rng.NextInt64(1, 1L << 40);
            BitConverter.TryWriteBytes(data.AsSpan(i), label);
        }
        return data;
    }

    /// <summary>Random bytes with stretches copied from far back (to exercise long offsets and windows).</summary>
    public static byte[] FarRepeats(int n, int distance, int seed)
    {
        var data = CodecTestData.Random(n, seed);
        var rng = new Random(seed + 1);
        for (int start = distance; start + 4096 < n; start += 8192 + rng.Next(4096))
            Array.Copy(data, start - distance, data, start, 1000 + rng.Next(3000));
        return data;
    }
}
