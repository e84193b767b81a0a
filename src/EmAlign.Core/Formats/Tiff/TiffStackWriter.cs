using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// Writes a multi-page uncompressed TIFF z stack (chunk = page, shape (1, height, width)) with ImageJ metadata.
/// The layout is fixed at creation (<see cref="TiffStackLayout"/>), so pages can arrive in any order and go straight
/// to their offsets; nothing but bookkeeping is held in memory. The file is written as "NAME.partial" and gets its
/// directories and its final name only once every page has been written (in <see cref="Flush"/> or
/// <see cref="Dispose"/>), so an interrupted run never leaves a file that looks complete.
/// </summary>
internal sealed class TiffStackWriter : IChunkedArray
{
    private const int IfdBatch = 8192;
    private readonly TiffStackLayout _layout;
    private readonly string _partialPath;
    private readonly bool _force;
    private readonly int[] _written;
    private readonly object _gate = new();
    private FileStream _stream;
    private long _writtenCount;
    private bool _finished;

    private TiffStackWriter(string path, TiffStackLayout layout, DataType type, double fillValue, bool force)
    {
        Path = path;
        _partialPath = path + ".partial";
        _layout = layout;
        _force = force;
        DataType = type;
        FillValue = fillValue;
        Shape = [layout.Planes, layout.Height, layout.Width];
        ChunkShape = [1, layout.Height, layout.Width];
        _written = new int[layout.Planes];
        _stream = new FileStream(_partialPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 0, FileOptions.RandomAccess);
    }

    /// <summary>
    /// Starts "<paramref name="path"/>.partial". An existing <paramref name="path"/> is replaced only with
    /// <paramref name="force"/>; a stale .partial from an interrupted run is overwritten.
    /// </summary>
    public static TiffStackWriter Create(string path, TiffStackLayout layout, DataType type, double fillValue, bool force)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (!force) throw new OutputExistsException(path);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        var parent = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(parent)) Directory.CreateDirectory(parent);
        return new TiffStackWriter(path, layout, type, fillValue, force);
    }

    /// <summary>The final file name (the data lives in "Path.partial" until every page is written).</summary>
    public string Path { get; }
    public DataType DataType { get; }
    public IReadOnlyList<long> Shape { get; }
    public IReadOnlyList<int> ChunkShape { get; }
    public double FillValue { get; }
    public bool CanWrite => true;

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        long z = PlaneOf(chunkIndex);
        if (Volatile.Read(ref _written[z]) == 0) return false;
        var handle = _stream.SafeFileHandle;
        long at = _layout.PlaneOffset(z);
        int done = Zarr.FileStore.ReadUpTo(handle, at, destination);
        if (done < destination.Length) throw new CorruptDataException($"'{Path}' page {z} is truncated: it ends after {done} of {destination.Length} bytes.", Path);
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data)
    {
        long z = PlaneOf(chunkIndex);
        if (data.Length != _layout.PlaneBytes)
            throw new ArgumentException($"Page {z} of '{Path}' needs {_layout.PlaneBytes} bytes; got {data.Length}.", nameof(data));
        // Pages are native little-endian, as is the file.
        RandomAccess.Write(_stream.SafeFileHandle, data, _layout.PlaneOffset(z));
        if (Interlocked.Exchange(ref _written[z], 1) == 0) Interlocked.Increment(ref _writtenCount);
    }

    /// <summary>
    /// Makes written pages durable. When every page has been written, also writes the header and IFDs and renames
    /// the file to its final name (once; later calls only flush). Must not run concurrently with reads or writes.
    /// </summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_finished || Interlocked.Read(ref _writtenCount) < _layout.Planes)
            {
                _stream.Flush(flushToDisk: true);
                return;
            }
            var handle = _stream.SafeFileHandle;
            RandomAccess.Write(handle, _layout.Head(), 0);
            for (long p = 1; p < _layout.Planes; p += IfdBatch)
            {
                int n = (int)Math.Min(IfdBatch, _layout.Planes - p);
                RandomAccess.Write(handle, _layout.TailIfds(p, n), _layout.IfdOffset(p));
            }
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            if (File.Exists(Path) && !_force) throw new OutputExistsException(Path);
            File.Move(_partialPath, Path, overwrite: _force);
            _stream = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 0, FileOptions.RandomAccess);
            _finished = true;
        }
    }

    /// <summary>Finishes the file when it is complete; otherwise closes it, leaving "Path.partial" behind.</summary>
    public void Dispose()
    {
        try
        {
            if (!_finished && Interlocked.Read(ref _writtenCount) == _layout.Planes) Flush();
        }
        finally
        {
            _stream.Dispose();
        }
    }

    private long PlaneOf(ReadOnlySpan<long> chunkIndex)
    {
        if (chunkIndex.Length != 3 || (ulong)chunkIndex[0] >= (ulong)_layout.Planes || chunkIndex[1] != 0 || chunkIndex[2] != 0)
            throw new ArgumentOutOfRangeException(nameof(chunkIndex), $"'{Path}' has pages 0..{_layout.Planes - 1} as chunks (z, 0, 0); got ({string.Join(", ", chunkIndex.ToArray())}).");
        return chunkIndex[0];
    }
}
