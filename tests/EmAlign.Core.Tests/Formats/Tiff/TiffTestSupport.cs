using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>A fact skipped, with a clear message, where /usr/bin/python3 with tifffile is not installed (or, with <see cref="NeedsSsTem"/>, the ssTEM stack is absent).</summary>
public sealed class TifffileFactAttribute : FactAttribute
{
    public TifffileFactAttribute()
    {
        if (!Tifffile.Available) base.Skip = "tifffile is not installed for /usr/bin/python3 (apt install python3-tifffile) - interop not checked.";
    }

    /// <summary>Also needs the real ssTEM stack of ../shared/data.</summary>
    public bool NeedsSsTem { get; set; }

    public override string Skip
    {
        get => base.Skip ?? (NeedsSsTem && !Support.SharedData.HasSsTem ? "../shared/data/vnc-ssTEM-stack1 is absent (set EMALIGN_SHARED to the shared folder)." : null!);
        set => base.Skip = value;
    }
}

/// <summary>Runs the tifffile peer through /usr/bin/python3.</summary>
public static class Tifffile
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        if (!File.Exists(Zarr.PythonZarr.Python)) return false;
        try { return Run("import tifffile, numpy").ExitCode == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    public static bool Available => s_available.Value;

    /// <summary>Runs a Python script; returns its exit code and standard output.</summary>
    public static (int ExitCode, string Output) Run(string script, params string[] args)
    {
        var (code, output, error) = Zarr.PythonZarr.Run(script, args);
        return (code, (code != 0 ? output + error : output).Trim());
    }
}

/// <summary>Helpers shared by the TIFF tests.</summary>
public static class TiffTestData
{
    /// <summary>A fresh empty folder under the temp directory, removed by the caller.</summary>
    public static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "emalign-tiff-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A deterministic, type-filling pattern of <paramref name="count"/> voxels of <paramref name="type"/> as native bytes.</summary>
    public static byte[] Pattern(DataType type, long count, int seed = 1)
    {
        var rng = new Random(seed);
        var bytes = new byte[count * type.Size()];
        switch (type)
        {
            case DataType.Float32:
                var f = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
                for (int i = 0; i < f.Length; i++) f[i] = (float)(rng.NextDouble() * 2000 - 1000);
                break;
            case DataType.Float64:
                var d = MemoryMarshal.Cast<byte, double>(bytes.AsSpan());
                for (int i = 0; i < d.Length; i++) d[i] = rng.NextDouble() * 2e6 - 1e6;
                break;
            default:
                rng.NextBytes(bytes);
                break;
        }
        return bytes;
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>Sets the inline SHORT/LONG value of <paramref name="tag"/> in the first IFD of a classic little-endian TIFF.</summary>
    public static void PatchFirstIfdValue(string path, ushort tag, uint value)
    {
        var bytes = File.ReadAllBytes(path);
        int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        int n = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ifd));
        for (int e = 0; e < n; e++)
        {
            var entry = bytes.AsSpan(ifd + 2 + 12 * e, 12);
            if (BinaryPrimitives.ReadUInt16LittleEndian(entry) != tag) continue;
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
            if (type == 3) BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], value);
            File.WriteAllBytes(path, bytes);
            return;
        }
        throw new InvalidOperationException($"Tag {tag} not in the first IFD of {path}.");
    }

    /// <summary>Ends the IFD chain after the first IFD of a classic little-endian TIFF (ImageJ's layout for files over 4 GiB).</summary>
    public static void CutChainAfterFirstIfd(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        int n = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ifd));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(ifd + 2 + 12 * n), 0);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>
    /// A minimal little-endian classic TIFF of one uint8 page: the given strips (already encoded) after an IFD with
    /// width, height, compression, rows per strip and strip offsets and byte counts.
    /// </summary>
    public static byte[] SinglePageUInt8(int width, int height, int rowsPerStrip, ushort compression, byte[][] strips)
    {
        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>();
        int n = 8, ifdLength = 2 + n * 12 + 4, arrays = 8 + ifdLength, data = arrays + 8 * strips.Length;
        uint offsetsAt = (uint)arrays, countsAt = (uint)(arrays + 4 * strips.Length);
        entries.Add((256, 4, 1, (uint)width));
        entries.Add((257, 4, 1, (uint)height));
        entries.Add((258, 3, 1, 8));
        entries.Add((259, 3, 1, compression));
        entries.Add((262, 3, 1, 1));
        entries.Add((273, 4, (uint)strips.Length, strips.Length == 1 ? (uint)data : offsetsAt));
        entries.Add((278, 4, 1, (uint)rowsPerStrip));
        entries.Add((279, 4, (uint)strips.Length, strips.Length == 1 ? (uint)strips[0].Length : countsAt));
        var file = new byte[data + strips.Sum(s => s.Length)];
        file[0] = file[1] = (byte)'I';
        file[2] = 42;
        file[4] = 8;
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), (ushort)n);
        for (int e = 0; e < n; e++)
        {
            var at = file.AsSpan(10 + e * 12);
            BinaryPrimitives.WriteUInt16LittleEndian(at, entries[e].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(at[2..], entries[e].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(at[4..], entries[e].Count);
            if (entries[e].Type == 3) BinaryPrimitives.WriteUInt16LittleEndian(at[8..], (ushort)entries[e].Value);
            else BinaryPrimitives.WriteUInt32LittleEndian(at[8..], entries[e].Value);
        }
        int pos = data;
        for (int i = 0; i < strips.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(arrays + 4 * i), (uint)pos);
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)countsAt + 4 * i), (uint)strips[i].Length);
            strips[i].CopyTo(file, pos);
            pos += strips[i].Length;
        }
        return file;
    }

    /// <summary>PackBits literal runs for <paramref name="bytes"/> (at most 128 bytes per run).</summary>
    public static byte[] PackBitsLiteral(ReadOnlySpan<byte> bytes)
    {
        var result = new List<byte>();
        for (int i = 0; i < bytes.Length; i += 128)
        {
            int n = Math.Min(128, bytes.Length - i);
            result.Add((byte)(n - 1));
            result.AddRange(bytes.Slice(i, n).ToArray());
        }
        return [.. result];
    }
}
