using EmAlign.Volumes;
using Microsoft.Win32.SafeHandles;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// A multi-page TIFF file as a read-only (z, y, x) array whose chunks are its pages: chunk shape (1, height, width).
/// One file handle is shared; positional reads make concurrent page decoding safe.
/// </summary>
internal sealed class TiffFileArray : IChunkedArray
{
    private readonly SafeFileHandle _file;
    private readonly TiffStack _stack;

    private TiffFileArray(string path, SafeFileHandle file, TiffStack stack)
    {
        Path = path;
        _file = file;
        _stack = stack;
        Shape = [stack.Planes.Count, stack.Height, stack.Width];
        ChunkShape = [1, stack.Height, stack.Width];
    }

    public static TiffFileArray Open(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return new TiffFileArray(path, file, TiffStack.Read(file, path));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public string Path { get; }
    public DataType DataType => _stack.DataType;
    public VoxelSize VoxelSize => _stack.VoxelSize;
    public IReadOnlyList<long> Shape { get; }
    public IReadOnlyList<int> ChunkShape { get; }
    public double FillValue => 0;
    public bool CanWrite => false;

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        long z = chunkIndex[0];
        if ((ulong)z >= (ulong)_stack.Planes.Count || chunkIndex[1] != 0 || chunkIndex[2] != 0) return false;
        _stack.Planes[(int)z].Decode(_file, Path, destination);
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data) =>
        throw new InvalidOperationException($"'{Path}' is open read-only: TIFF files are read in place; create a new one to write.");

    public void Flush() { }

    public void Dispose() => _file.Dispose();
}
