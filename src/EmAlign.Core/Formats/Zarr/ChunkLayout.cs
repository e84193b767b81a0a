using System.Runtime.InteropServices;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;

namespace EmAlign.Formats.Zarr;

/// <summary>
/// Maps a stored array (any order of z, y, x and an optional channel axis, 2 to 4 dimensions, chunk bytes in
/// C or F order) onto the engine's (c,) z, y, x C-order chunks. A missing z axis becomes a size-1 axis.
/// When the stored layout already is (c,) z, y, x in C order (<see cref="IsIdentity"/>), chunk bytes pass
/// through untouched; otherwise <see cref="ToLogical"/>/<see cref="ToStored"/> permute elements.
/// </summary>
internal sealed class ChunkLayout
{
    private readonly int[] _storedAxisOf;   // logical axis -> stored axis, -1 for a synthesised size-1 axis
    private readonly long[] _storedStride;  // per logical axis: element stride inside a stored chunk

    public ChunkLayout(IReadOnlyList<long> storedShape, IReadOnlyList<int> storedChunks, IReadOnlyList<AxisRole> roles, bool fortranOrder, int elementSize, string source)
        : this(storedShape, storedChunks, roles, MemoryOrder(roles.Count, fortranOrder), elementSize, source)
    {
    }

    /// <summary>
    /// A layout whose chunk bytes list the stored axes in <paramref name="memoryOrder"/> (slowest first): C order is
    /// 0, 1, ..., n-1, F order its reverse, a Zarr v3 transpose codec's "order" any permutation.
    /// </summary>
    /// <param name="squeezeUnitChannel">
    /// Leave a channel axis of size 1 (one channel, chunks of one) out of the logical shape, so a single-channel
    /// array stored as (c, x, y, z) (WEBKNOSSOS) is the (z, y, x) volume it holds.
    /// </param>
    public ChunkLayout(IReadOnlyList<long> storedShape, IReadOnlyList<int> storedChunks, IReadOnlyList<AxisRole> roles, IReadOnlyList<int> memoryOrder, int elementSize, string source,
        bool squeezeUnitChannel = false)
    {
        AxisRoles.Validate(roles, source);
        if (storedShape.Count != roles.Count || storedChunks.Count != roles.Count)
            throw new InvalidVolumeException($"'{source}': shape has {storedShape.Count} and chunks {storedChunks.Count} entries for {roles.Count} axes.", source);
        StoredRank = roles.Count;
        ElementSize = elementSize;
        var roleList = roles.ToList();
        int channel = roleList.IndexOf(AxisRole.Channel);
        bool squeeze = squeezeUnitChannel && channel >= 0 && storedShape[channel] == 1 && storedChunks[channel] == 1;
        AxisRole[] logical = channel >= 0 && !squeeze ? [AxisRole.Channel, AxisRole.Z, AxisRole.Y, AxisRole.X] : [AxisRole.Z, AxisRole.Y, AxisRole.X];
        _storedAxisOf = [.. logical.Select(r => roleList.IndexOf(r))];

        var storedStride = new long[StoredRank];
        long acc = 1;
        if (memoryOrder.Count != StoredRank || memoryOrder.Distinct().Count() != StoredRank || memoryOrder.Any(a => a < 0 || a >= StoredRank))
            throw new InvalidVolumeException($"'{source}': axis order [{string.Join(", ", memoryOrder)}] is not a permutation of the {StoredRank} axes.", source);
        for (int k = 0; k < StoredRank; k++)
        {
            int s = memoryOrder[StoredRank - 1 - k];
            if (storedChunks[s] < 1 || storedShape[s] < 0)
                throw new InvalidVolumeException($"'{source}': shape [{string.Join(", ", storedShape)}] with chunks [{string.Join(", ", storedChunks)}]; expected sizes >= 0 and chunk sizes >= 1.", source);
            storedStride[s] = acc;
            acc *= storedChunks[s];
        }
        if (acc * elementSize > int.MaxValue - 64)
            throw new InvalidVolumeException($"'{source}': chunks [{string.Join(", ", storedChunks)}] hold {acc * elementSize} bytes; EmAlign reads chunks of at most 2 GiB.", source);
        ChunkBytes = (int)(acc * elementSize);

        Shape = [.. _storedAxisOf.Select(s => s < 0 ? 1 : storedShape[s])];
        ChunkShape = [.. _storedAxisOf.Select(s => s < 0 ? 1 : storedChunks[s])];
        _storedStride = [.. _storedAxisOf.Select(s => s < 0 ? 0 : storedStride[s])];

        IsIdentity = true;
        long c = 1;
        for (int l = ChunkShape.Length - 1; l >= 0; l--)
        {
            if (ChunkShape[l] > 1 && _storedStride[l] != c) IsIdentity = false;
            c *= ChunkShape[l];
        }
    }

    private static int[] MemoryOrder(int rank, bool fortranOrder) =>
        [.. Enumerable.Range(0, rank).Select(i => fortranOrder ? rank - 1 - i : i)];

    /// <summary>Logical shape: (z, y, x) or (c, z, y, x).</summary>
    public long[] Shape { get; }

    /// <summary>Logical chunk shape, same order as <see cref="Shape"/>.</summary>
    public int[] ChunkShape { get; }

    public int StoredRank { get; }

    public int ElementSize { get; }

    /// <summary>Bytes of one decoded chunk.</summary>
    public int ChunkBytes { get; }

    /// <summary>True when stored chunk bytes already are in logical C order.</summary>
    public bool IsIdentity { get; }

    /// <summary>The stored grid position of logical chunk <paramref name="logical"/>.</summary>
    public void StoredChunkIndex(ReadOnlySpan<long> logical, Span<long> stored)
    {
        stored.Clear(); // stored axes without a logical one (a squeezed channel) are index 0
        for (int l = 0; l < _storedAxisOf.Length; l++)
            if (_storedAxisOf[l] >= 0) stored[_storedAxisOf[l]] = logical[l];
    }

    /// <summary>Reorders a decoded stored chunk into logical C order.</summary>
    public void ToLogical(ReadOnlySpan<byte> stored, Span<byte> logical) => Permute(stored, logical, gather: true);

    /// <summary>Reorders a logical C-order chunk into the stored element order.</summary>
    public void ToStored(ReadOnlySpan<byte> logical, Span<byte> stored) => Permute(logical, stored, gather: false);

    /// <summary>
    /// Where a chunk is decoded before it reaches <paramref name="destination"/> (its first <see cref="ChunkBytes"/>):
    /// the destination itself when the orders agree, else pooled scratch that <see cref="DecodeBuffer.ToLogical"/>
    /// reorders into it. Dispose returns the scratch.
    /// </summary>
    public DecodeBuffer Decoding(Span<byte> destination) => new(this, destination[..ChunkBytes]);

    /// <summary>See <see cref="Decoding"/>.</summary>
    public ref struct DecodeBuffer
    {
        private readonly ChunkLayout _layout;
        private readonly Span<byte> _destination;
        private byte[]? _rented;

        internal DecodeBuffer(ChunkLayout layout, Span<byte> destination)
        {
            _layout = layout;
            _destination = destination;
            _rented = layout.IsIdentity ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(destination.Length);
            Stored = _rented is null ? destination : _rented.AsSpan(0, destination.Length);
        }

        /// <summary>The bytes to decode into, in stored order.</summary>
        public Span<byte> Stored { get; }

        /// <summary>Puts the decoded bytes into the destination in logical order (nothing to do when they are already there).</summary>
        public readonly void ToLogical()
        {
            if (_rented is not null) _layout.ToLogical(Stored, _destination);
        }

        public void Dispose()
        {
            if (_rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private void Permute(ReadOnlySpan<byte> src, Span<byte> dst, bool gather)
    {
        switch (ElementSize)
        {
            case 1: Permute<byte>(src, dst, gather); break;
            case 2: Permute(MemoryMarshal.Cast<byte, ushort>(src), MemoryMarshal.Cast<byte, ushort>(dst), gather); break;
            case 4: Permute(MemoryMarshal.Cast<byte, uint>(src), MemoryMarshal.Cast<byte, uint>(dst), gather); break;
            default: Permute(MemoryMarshal.Cast<byte, ulong>(src), MemoryMarshal.Cast<byte, ulong>(dst), gather); break;
        }
    }

    /// <summary>
    /// Walks the logical chunk in C order; the stored element of logical index (a, b, c, d) sits at
    /// a*s0 + b*s1 + c*s2 + d*s3. gather: logical[i] = stored[...]; else stored[...] = logical[i].
    /// </summary>
    private void Permute<T>(ReadOnlySpan<T> src, Span<T> dst, bool gather) where T : unmanaged
    {
        Span<int> n = stackalloc int[4];
        Span<int> s = stackalloc int[4];
        int pad = 4 - ChunkShape.Length;
        for (int i = 0; i < 4; i++)
        {
            n[i] = i < pad ? 1 : ChunkShape[i - pad];
            s[i] = i < pad ? 0 : (int)_storedStride[i - pad];
        }
        int k = 0;
        for (int a = 0; a < n[0]; a++)
            for (int b = 0; b < n[1]; b++)
                for (int c = 0; c < n[2]; c++)
                {
                    int o = a * s[0] + b * s[1] + c * s[2];
                    if (gather) for (int d = 0; d < n[3]; d++) dst[k++] = src[o + d * s[3]];
                    else for (int d = 0; d < n[3]; d++) dst[o + d * s[3]] = src[k++];
                }
    }
}

/// <summary>Byte-order conversion of element buffers (vectorised by the BCL).</summary>
internal static class Endian
{
    /// <summary>Reverses the bytes of every <paramref name="elementSize"/>-byte element, in place.</summary>
    public static void Swap(Span<byte> data, int elementSize) => Swap(data, data, elementSize);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> with every element's bytes reversed.</summary>
    public static void Swap(ReadOnlySpan<byte> source, Span<byte> destination, int elementSize)
    {
        switch (elementSize)
        {
            case 1: if (!source.Overlaps(destination)) source.CopyTo(destination); break;
            case 2: System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(source), MemoryMarshal.Cast<byte, ushort>(destination)); break;
            case 4: System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(destination)); break;
            case 8: System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(source), MemoryMarshal.Cast<byte, ulong>(destination)); break;
            default: throw new ArgumentOutOfRangeException(nameof(elementSize), elementSize, "Element sizes are 1, 2, 4 or 8 bytes.");
        }
    }
}
