using System.Globalization;
using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// Writes a folder of single-page uncompressed TIFF slices named slice_0000.tif, slice_0001.tif, … (chunk = one file).
/// The folder is built as "NAME.partial" and renamed to NAME once every slice exists (in <see cref="Flush"/> or
/// <see cref="Dispose"/>); each slice is written under a temporary name and renamed, so no file is ever half written.
/// </summary>
internal sealed class TiffFolderWriter : IChunkedArray
{
    private readonly TiffStackLayout _slice;
    private readonly byte[] _head;
    private readonly string _partialFolder;
    private readonly string _format;
    private readonly bool _force;
    private readonly int[] _written;
    private readonly object _gate = new();
    private readonly long _planes;
    private long _writtenCount;
    private volatile string _folder;
    private bool _finished;

    private TiffFolderWriter(string path, long planes, TiffStackLayout slice, DataType type, double fillValue, bool force)
    {
        Path = path;
        _partialFolder = path + ".partial";
        _folder = _partialFolder;
        _planes = planes;
        _slice = slice;
        _head = slice.Head();
        _force = force;
        DataType = type;
        FillValue = fillValue;
        Shape = [planes, slice.Height, slice.Width];
        ChunkShape = [1, slice.Height, slice.Width];
        _written = new int[planes];
        // Zero-padded indices keep every tool's ordering right, natural or not.
        _format = "D" + Math.Max(4, (planes - 1).ToString(CultureInfo.InvariantCulture).Length).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Starts "<paramref name="path"/>.partial" (a stale one from an interrupted run is removed). An existing file or
    /// non-empty folder at <paramref name="path"/> is replaced only with <paramref name="force"/>.
    /// </summary>
    public static TiffFolderWriter Create(string path, long planes, int width, int height, DataType type, VoxelSize voxelSize, double fillValue, bool force)
    {
        if (File.Exists(path))
        {
            if (!force) throw new OutputExistsException(path);
            File.Delete(path);
        }
        else if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            if (!force) throw new OutputExistsException(path);
            Directory.Delete(path, recursive: true);
        }
        string partial = path + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        return new TiffFolderWriter(path, planes, new TiffStackLayout(width, height, 1, type, voxelSize), type, fillValue, force);
    }

    /// <summary>The final folder (slices live in "Path.partial" until every one is written).</summary>
    public string Path { get; }
    public DataType DataType { get; }
    public IReadOnlyList<long> Shape { get; }
    public IReadOnlyList<int> ChunkShape { get; }
    public double FillValue { get; }
    public bool CanWrite => true;

    /// <summary>File name of slice <paramref name="z"/>: "slice_0007.tif".</summary>
    private string SliceName(long z) => "slice_" + z.ToString(_format, CultureInfo.InvariantCulture) + ".tif";

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        long z = PlaneOf(chunkIndex);
        if (Volatile.Read(ref _written[z]) == 0) return false;
        string file = System.IO.Path.Combine(_folder, SliceName(z));
        using var h = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        int done = Zarr.FileStore.ReadUpTo(h, _slice.DataStart, destination);
        if (done < destination.Length) throw new CorruptDataException($"'{file}' is truncated: its plane ends after {done} of {destination.Length} bytes.", file);
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        long z = PlaneOf(chunkIndex);
        if (data.Length != _slice.PlaneBytes)
            throw new ArgumentException($"Slice {z} of '{Path}' needs {_slice.PlaneBytes} bytes; got {data.Length}.", nameof(data));
        string file = System.IO.Path.Combine(_folder, SliceName(z));
        string temp = file + ".partial";
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 0))
        {
            fs.Write(_head);
            fs.Write(data);
        }
        File.Move(temp, file, overwrite: true);
        if (Interlocked.Exchange(ref _written[z], 1) == 0) Interlocked.Increment(ref _writtenCount);
    }

    /// <summary>Once every slice exists, renames the folder to its final name (once). Must not run concurrently with writes.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_finished || Interlocked.Read(ref _writtenCount) < _planes) return;
            if (Directory.Exists(Path))
            {
                // An empty folder may stand in the way (created by the user); anything else needs Force.
                if (Directory.EnumerateFileSystemEntries(Path).Any() && !_force) throw new OutputExistsException(Path);
                Directory.Delete(Path, recursive: true);
            }
            else if (File.Exists(Path))
            {
                if (!_force) throw new OutputExistsException(Path);
                File.Delete(Path);
            }
            Directory.Move(_partialFolder, Path);
            _folder = Path;
            _finished = true;
        }
    }

    /// <summary>Finishes the folder when it is complete; otherwise leaves "Path.partial" behind.</summary>
    public void Dispose()
    {
        if (!_finished && Interlocked.Read(ref _writtenCount) == _planes) Flush();
    }

    private long PlaneOf(ReadOnlySpan<long> chunkIndex)
    {
        if (chunkIndex.Length != 3 || (ulong)chunkIndex[0] >= (ulong)_planes || chunkIndex[1] != 0 || chunkIndex[2] != 0)
            throw new ArgumentOutOfRangeException(nameof(chunkIndex), $"'{Path}' has slices 0..{_planes - 1} as chunks (z, 0, 0); got ({string.Join(", ", chunkIndex.ToArray())}).");
        return chunkIndex[0];
    }
}
