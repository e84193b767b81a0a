using System.Buffers;
using EmAlign.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace EmAlign.Formats.Zarr;

/// <summary>
/// File access for chunked stores on a file system (Zarr and N5): whole-file reads into pooled buffers and
/// atomic writes (a temporary file in the same folder, then a rename), so a reader never sees half a file.
/// </summary>
internal static class FileStore
{
    /// <summary>
    /// Reads all of <paramref name="file"/> into a buffer rented from <see cref="ArrayPool{T}.Shared"/>
    /// (return it with <see cref="Return"/>); false when the file does not exist.
    /// </summary>
    public static bool TryReadAll(string file, int maxBytes, out byte[] buffer, out int length)
    {
        buffer = [];
        length = 0;
        using var handle = TryOpen(file);
        if (handle is null) return false;
        long size = RandomAccess.GetLength(handle);
        if (size > maxBytes)
            throw new CorruptDataException($"Chunk file '{file}' holds {size} bytes; a chunk of this array is at most {maxBytes} bytes stored.", file);
        buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
        length = ReadFully(handle, buffer.AsSpan(0, (int)size), file);
        return true;
    }

    /// <summary>Reads <paramref name="file"/> straight into <paramref name="destination"/>, which it must fill exactly; false when it does not exist.</summary>
    public static bool TryReadExact(string file, Span<byte> destination)
    {
        using var handle = TryOpen(file);
        if (handle is null) return false;
        long size = RandomAccess.GetLength(handle);
        if (size != destination.Length)
            throw new CorruptDataException($"Chunk file '{file}' holds {size} bytes; an uncompressed chunk of this array is {destination.Length} bytes.", file);
        ReadFully(handle, destination, file);
        return true;
    }

    public static void Return(byte[] buffer)
    {
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Writes <paramref name="first"/> then <paramref name="second"/> as <paramref name="file"/>, atomically; creates the folder if needed.</summary>
    public static void WriteAtomic(string file, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second = default)
    {
        var handle = CreateTemp(file, out string temp);
        try
        {
            using (handle)
            {
                RandomAccess.Write(handle, first, 0);
                if (!second.IsEmpty) RandomAccess.Write(handle, second, first.Length);
            }
            File.Move(temp, file, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes the concatenation of <paramref name="parts"/> as <paramref name="file"/>, atomically (shards, WKW files).</summary>
    public static void WriteAtomic(string file, IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        var handle = CreateTemp(file, out string temp);
        try
        {
            using (handle) RandomAccess.Write(handle, parts, 0);
            File.Move(temp, file, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>A new hidden temporary file beside <paramref name="file"/>, for a write that ends in a rename.</summary>
    private static SafeFileHandle CreateTemp(string file, out string temp)
    {
        var dir = Path.GetDirectoryName(file)!;
        temp = Path.Combine(dir, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}.partial");
        try { return OpenNew(temp); }
        catch (IOException e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            // A missing folder (nested chunk keys). When another thread creates it meanwhile, .NET reports
            // the failed create as FileNotFound rather than DirectoryNotFound, so both mean "make the folder".
            Directory.CreateDirectory(dir);
            return OpenNew(temp);
        }
    }

    /// <summary>Opens <paramref name="file"/> for reading (shared with writers that replace it by rename); null when it does not exist.</summary>
    public static SafeFileHandle? TryOpenRead(string file) => TryOpen(file);

    /// <summary>Reads exactly destination.Length bytes at <paramref name="offset"/>; a short file is damaged data.</summary>
    public static void ReadAt(SafeFileHandle handle, long offset, Span<byte> destination, string file)
    {
        int total = ReadUpTo(handle, offset, destination);
        if (total < destination.Length)
            throw new CorruptDataException($"'{file}' ends before byte {offset + destination.Length} (read {total} of {destination.Length} bytes at offset {offset}); the file is truncated.", file);
    }

    /// <summary>Reads at <paramref name="offset"/> until <paramref name="destination"/> is full or the file ends; returns the bytes read.</summary>
    public static int ReadUpTo(SafeFileHandle handle, long offset, Span<byte> destination)
    {
        int total = 0;
        for (int n; total < destination.Length && (n = RandomAccess.Read(handle, destination[total..], offset + total)) > 0;) total += n;
        return total;
    }

    /// <summary>Deletes <paramref name="dir"/> and everything in it, if it exists.</summary>
    public static void DeleteTree(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        else if (File.Exists(dir)) File.Delete(dir);
    }

    /// <summary>
    /// No preallocation: on ext4 a preallocated (fallocate) file costs about ten times as much to unlink later,
    /// which every overwrite (rename onto the old chunk) and every -Force replacement pays, for no gain in writing.
    /// </summary>
    private static SafeFileHandle OpenNew(string path) =>
        File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None);

    private static SafeFileHandle? TryOpen(string file)
    {
        try { return File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> destination, string file)
    {
        int total = ReadUpTo(handle, 0, destination);
        if (total < destination.Length)
            throw new CorruptDataException($"Chunk file '{file}' ended after {total} of {destination.Length} bytes (changed while being read?).", file);
        return total;
    }
}
