namespace EmAlign.Tests.Codecs;

/// <summary>Inputs with the statistics the codec meets in practice.</summary>
internal static class ZstdTestData
{
    public static byte[] Random(int n, int seed)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>A short random motif repeated (period 1 is a run of one byte).</summary>
    public static byte[] Periodic(int n, int period, int seed)
    {
        var motif = Random(period, seed);
        var data = new byte[n];
        for (int i = 0; i < n; i++) data[i] = motif[i % period];
        return data;
    }

    /// <summary>EM-like uint8 image planes: a smooth structure plus pixel noise, little exact repetition.</summary>
    public static byte[] EmLike(int n, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[n];
        const int width = 512;
        for (int i = 0; i < n; i++)
        {
            int x = i % width, y = i / width;
            double smooth = 128 + 50 * Math.Sin(x * 0.031 + y * 0.017) * Math.Cos(y * 0.023 - x * 0.011);
            double noise = (rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5) * 24;
            data[i] = (byte)Math.Clamp(smooth + noise, 0, 255);
        }
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
        var data = Random(n, seed);
        var rng = new Random(seed + 1);
        for (int start = distance; start + 4096 < n; start += 8192 + rng.Next(4096))
            Array.Copy(data, start - distance, data, start, 1000 + rng.Next(3000));
        return data;
    }
}
