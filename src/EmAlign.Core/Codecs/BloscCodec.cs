using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// Blosc 1.x frames (numcodecs/zarr/N5 "blosc"): a 16-byte header (version, codec version, flags,
/// typesize, nbytes, blocksize, cbytes), then either the raw bytes ("memcpyed" frames) or a table of
/// absolute block offsets and, per block, one or <c>typesize</c> length-prefixed streams of the
/// shuffled block. Decodes every c-blosc 1.x frame with inner codecs BloscLZ, LZ4/LZ4HC and zlib;
/// writes frames the way c-blosc 1.21 does (block size choice, split streams, stored fallback).
/// Large frames are decoded and encoded block-parallel.
/// </summary>
public sealed class BloscCodec : IChunkCodec
{
    /// <summary>Size of the frame header.</summary>
    public const int HeaderSize = 16;

    /// <summary>Largest buffer one frame holds (c-blosc's BLOSC_MAX_BUFFERSIZE).</summary>
    public const int MaxBufferSize = int.MaxValue - HeaderSize;

    private const byte FlagByteShuffle = 0x01;
    private const byte FlagMemcpyed = 0x02;
    private const byte FlagBitShuffle = 0x04;
    private const byte FlagDontSplit = 0x10;
    private const int FormatBloscLz = 0, FormatLz4 = 1, FormatSnappy = 2, FormatZlib = 3, FormatZstd = 4;
    private const int MinBufferSize = 128;          // below this c-blosc stores the input
    private const int MaxSplits = 16;               // largest typesize whose blocks are split
    private const int MaxForcedBlocksize = (int.MaxValue - 255 * 4) / 3; // c-blosc's BLOSC_MAX_BLOCKSIZE
    private const int ParallelMinBytes = 256 * 1024;

    /// <param name="cname">Inner codec: "lz4" (default), "lz4hc", "blosclz", "zlib" or "zstd".</param>
    /// <param name="clevel">0 (store) to 9; 5 is numcodecs' default.</param>
    /// <param name="shuffle">0 none, 1 byte shuffle, 2 bit shuffle, -1 automatic (bit shuffle for 1-byte elements, else byte).</param>
    /// <param name="blocksize">Bytes per block; 0 chooses as c-blosc does.</param>
    public BloscCodec(string cname = "lz4", int clevel = 5, int shuffle = 1, int blocksize = 0)
    {
        Cname = cname.Trim().ToLowerInvariant();
        InnerFormat = Cname switch
        {
            "blosclz" => FormatBloscLz,
            "lz4" or "lz4hc" => FormatLz4,
            "zlib" => FormatZlib,
            "zstd" => FormatZstd,
            _ => throw new EmAlignException($"Blosc compressor '{cname}' is not supported: expected blosclz, lz4, lz4hc, zlib or zstd.", "cname"),
        };
        Clevel = clevel is >= 0 and <= 9 ? clevel : throw new EmAlignException($"Blosc clevel {clevel} is invalid: expected 0 to 9.", "clevel");
        Shuffle = shuffle is >= -1 and <= 2 ? shuffle : throw new EmAlignException($"Blosc shuffle {shuffle} is invalid: expected -1 (auto), 0 (none), 1 (byte) or 2 (bit).", "shuffle");
        Blocksize = blocksize >= 0 ? blocksize : throw new EmAlignException($"Blosc blocksize {blocksize} is invalid: expected 0 (automatic) or a positive byte count.", "blocksize");
    }

    public string Name => "blosc-" + Cname;

    /// <summary>Inner compressor name as numcodecs writes it ("lz4", "lz4hc", "blosclz", "zlib", "zstd").</summary>
    public string Cname { get; }

    public int Clevel { get; }

    /// <summary>numcodecs shuffle code: -1 auto, 0 none, 1 byte, 2 bit.</summary>
    public int Shuffle { get; }

    /// <summary>Requested block size in bytes, 0 for automatic.</summary>
    public int Blocksize { get; }

    private int InnerFormat { get; }

    // ---------------------------------------------------------------------------------------------
    // Frame layout shared by the decoder and the encoder

    private readonly record struct Frame(byte Flags, int TypeSize, int NBytes, int BlockSize, int CBytes, int NBlocks)
    {
        public int Format => Flags >> 5;

        /// <summary>Bytes in the largest block; a header may declare a block size beyond nbytes.</summary>
        public int LargestBlock => Math.Min(BlockSize, NBytes);

        public int BlockLength(int b) => b == NBlocks - 1 && NBytes % BlockSize != 0 ? NBytes % BlockSize : BlockSize;

        /// <summary>The decoder's split test (c-blosc): also covers frames written before the 0x10 flag existed.</summary>
        public int Splits(int b)
        {
            int bsize = BlockLength(b);
            bool leftover = b == NBlocks - 1 && NBytes % BlockSize != 0;
            return (Flags & FlagDontSplit) == 0 && TypeSize <= MaxSplits && bsize / TypeSize >= MinBufferSize && !leftover ? TypeSize : 1;
        }

        public bool ByteShuffled => (Flags & FlagByteShuffle) != 0 && TypeSize > 1;

        public bool BitShuffled(int bsize) => (Flags & FlagBitShuffle) != 0 && bsize >= TypeSize && !ByteShuffled;

        /// <summary>Block b is compressed straight from the source (no shuffle filter applies to it).</summary>
        public bool Unshuffled(int b) => !ByteShuffled && !BitShuffled(BlockLength(b));
    }

    // ---------------------------------------------------------------------------------------------
    // Decoding

    public unsafe int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var frame = ReadHeader(source, destination.Length);
        if ((frame.Flags & FlagMemcpyed) != 0)
        {
            source.Slice(HeaderSize, frame.NBytes).CopyTo(destination);
            return frame.NBytes;
        }
        if (frame.NBytes == 0) return 0;

        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            if (frame.NBlocks == 1 || frame.NBytes < ParallelMinBytes)
            {
                using var work = new WorkBuffers(frame.LargestBlock);
                for (int b = 0; b < frame.NBlocks; b++) DecodeBlock(frame, src, dst, b, work);
            }
            else
            {
                nint srcAddress = (nint)src, dstAddress = (nint)dst;
                RunParallel(frame.NBlocks, frame.LargestBlock, (b, work) => DecodeBlock(frame, (byte*)srcAddress, (byte*)dstAddress, b, work));
            }
        }
        return frame.NBytes;
    }

    private static Frame ReadHeader(ReadOnlySpan<byte> source, int capacity)
    {
        if (source.Length < HeaderSize)
            throw new CorruptDataException($"Blosc frame of {source.Length} bytes is truncated: expected a {HeaderSize}-byte header.");
        byte version = source[0], flags = source[2];
        int typeSize = source[3];
        uint nbytes = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        uint blocksize = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        uint cbytes = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        if (version is 0 or > 2 || (flags & (FlagByteShuffle | FlagBitShuffle)) == (FlagByteShuffle | FlagBitShuffle))
            throw new CorruptDataException($"Blosc frame has format version {version} and flags 0x{flags:X2}: expected a c-blosc 1.x frame (version 1 or 2); Blosc2 frames are not supported.");
        if (cbytes < HeaderSize || cbytes > source.Length)
            throw new CorruptDataException($"Blosc frame declares {cbytes} bytes but {source.Length} are present: expected {HeaderSize} to {source.Length}.");
        if (nbytes > MaxBufferSize || nbytes > capacity)
            throw new CorruptDataException($"Blosc frame declares {nbytes} decoded bytes: expected at most {capacity}.");
        if (typeSize == 0)
            throw new CorruptDataException("Blosc frame declares typesize 0: expected 1 to 255.");
        if ((flags & FlagMemcpyed) != 0)
        {
            if (cbytes < (ulong)nbytes + HeaderSize)
                throw new CorruptDataException($"Stored Blosc frame of {cbytes} bytes is truncated: expected {nbytes + HeaderSize}.");
            return new Frame(flags, typeSize, (int)nbytes, (int)blocksize, (int)cbytes, 0);
        }
        if (nbytes == 0) return new Frame(flags, typeSize, 0, (int)blocksize, (int)cbytes, 0);
        if (blocksize == 0 || blocksize > MaxBufferSize)
            throw new CorruptDataException($"Blosc frame declares block size {blocksize}: expected 1 to {MaxBufferSize}.");
        int format = flags >> 5;
        if (format is not (FormatBloscLz or FormatLz4 or FormatZlib or FormatZstd))
            throw new CorruptDataException(format == FormatSnappy
                ? "Blosc frame uses Snappy (format 2), which is not supported: expected blosclz, lz4, lz4hc, zlib or zstd."
                : $"Blosc frame uses unknown inner codec format {format}: expected 0 (blosclz), 1 (lz4), 3 (zlib) or 4 (zstd).");
        int nblocks = (int)((nbytes + blocksize - 1) / blocksize);
        if (HeaderSize + 4L * nblocks > cbytes)
            throw new CorruptDataException($"Blosc frame of {cbytes} bytes is truncated: its {nblocks} block offsets alone need {HeaderSize + 4L * nblocks}.");
        return new Frame(flags, typeSize, (int)nbytes, (int)blocksize, (int)cbytes, nblocks);
    }

    private static unsafe void DecodeBlock(in Frame frame, byte* src, byte* dst, int b, WorkBuffers work)
    {
        int bsize = frame.BlockLength(b);
        int nsplits = frame.Splits(b);
        if (bsize % nsplits != 0)
            throw new CorruptDataException($"Blosc block {b} of {bsize} bytes cannot be split into {nsplits} streams: expected a multiple of the typesize.");
        bool bitShuffled = frame.BitShuffled(bsize);
        byte* output = dst + (long)b * frame.BlockSize;
        byte* target = frame.ByteShuffled || bitShuffled ? work.Block : output;
        int neblock = bsize / nsplits;
        long tableEnd = HeaderSize + 4L * frame.NBlocks;
        long pos = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(src + HeaderSize + 4L * b, 4));
        if (pos < tableEnd || pos > frame.CBytes)
            throw new CorruptDataException($"Blosc block {b} starts at byte {pos}: expected {tableEnd} to {frame.CBytes}.");
        for (int s = 0; s < nsplits; s++)
        {
            if (pos + 4 > frame.CBytes) throw TruncatedBlock(b, frame.CBytes);
            int csize = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(src + pos, 4));
            pos += 4;
            if (csize < 0 || pos + csize > frame.CBytes) throw TruncatedBlock(b, frame.CBytes);
            var stream = new ReadOnlySpan<byte>(src + pos, csize);
            var split = new Span<byte>(target + (long)s * neblock, neblock);
            if (csize == neblock)
            {
                stream.CopyTo(split);
            }
            else
            {
                int produced = DecodeInner(frame.Format, stream, split);
                if (produced != neblock)
                    throw new CorruptDataException($"Blosc block {b} stream {s} decodes to {produced} bytes: expected {neblock}.");
            }
            pos += csize;
        }
        if (frame.ByteShuffled) BloscShuffle.ByteUnshuffle(target, output, bsize, frame.TypeSize);
        else if (bitShuffled) BloscShuffle.BitUnshuffle(target, output, bsize, frame.TypeSize, work.Scratch);
    }

    private static CorruptDataException TruncatedBlock(int b, int cbytes) =>
        new($"Blosc block {b} runs past the end of the {cbytes}-byte frame.");

    private static int DecodeInner(int format, ReadOnlySpan<byte> stream, Span<byte> split) => format switch
    {
        FormatBloscLz => BloscLz.Decode(stream, split),
        FormatLz4 => Lz4Block.Decode(stream, split),
        FormatZlib => DeflateFamily.Decode(stream, split, static s => new ZLibStream(s, CompressionMode.Decompress), "blosc-zlib"),
        FormatZstd => Zstd.Decompress(stream, split),
        _ => throw new CorruptDataException($"Blosc inner codec format {format} is not supported."),
    };

    // ---------------------------------------------------------------------------------------------
    // Encoding

    public unsafe byte[] Encode(ReadOnlySpan<byte> source, int elementSize)
    {
        if (source.Length > MaxBufferSize)
            throw new EmAlignException($"Blosc cannot hold {source.Length} bytes in one frame: expected at most {MaxBufferSize}.", "source");
        int typeSize = elementSize is >= 1 and <= 255 ? elementSize : 1;
        int nbytes = source.Length;
        int shuffle = Shuffle == -1 ? (typeSize == 1 ? 2 : 1) : Shuffle;
        byte flags = (byte)((InnerFormat << 5) | (shuffle == 1 ? FlagByteShuffle : 0) | (shuffle == 2 ? FlagBitShuffle : 0));
        int blocksize = ComputeBlocksize(nbytes, typeSize);
        bool split = SplitsBlocks(blocksize, typeSize);
        if (!split) flags |= FlagDontSplit;
        if (nbytes < MinBufferSize || Clevel == 0) return Stored(source, flags, typeSize, blocksize);

        int nblocks = (nbytes + blocksize - 1) / blocksize;
        long slot = blocksize + 4L * (split ? typeSize : 1); // worst case per block: every stream stored
        var frame = new Frame(flags, typeSize, nbytes, blocksize, 0, nblocks);
        var sizes = new int[nblocks];
        using var scratch = new PinnedBuffer(slot * nblocks);
        byte* encoded = scratch.Pointer;
        fixed (byte* src = source)
        {
            if (nblocks == 1 || nbytes < ParallelMinBytes)
            {
                using var work = new WorkBuffers(blocksize);
                for (int b = 0; b < nblocks; b++) sizes[b] = EncodeBlock(frame, src, encoded + b * slot, b, work);
            }
            else
            {
                nint srcAddress = (nint)src, outAddress = (nint)encoded;
                RunParallel(nblocks, blocksize, (b, work) => sizes[b] = EncodeBlock(frame, (byte*)srcAddress, (byte*)outAddress + b * slot, b, work));
            }
            long total = HeaderSize + 4L * nblocks;
            foreach (int size in sizes) total += size;
            if (total >= (long)nbytes + HeaderSize) return Stored(source, (byte)(flags | FlagMemcpyed), typeSize, blocksize);

            byte[] result = GC.AllocateUninitializedArray<byte>((int)total);
            WriteHeader(result, flags, typeSize, nbytes, blocksize, (int)total);
            int pos = HeaderSize + 4 * nblocks;
            for (int b = 0; b < nblocks; b++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(HeaderSize + 4 * b), pos);
                if (frame.Unshuffled(b)) AssembleUnshuffledBlock(frame, b, encoded + b * slot, src, result.AsSpan(pos, sizes[b]));
                else new ReadOnlySpan<byte>(encoded + b * slot, sizes[b]).CopyTo(result.AsSpan(pos));
                pos += sizes[b];
            }
            return result;
        }
    }

    /// <summary>Copies a block's streams into the frame, taking stored streams straight from the source (see <see cref="EncodeBlock"/>).</summary>
    private static unsafe void AssembleUnshuffledBlock(in Frame frame, int b, byte* encoded, byte* src, Span<byte> output)
    {
        int nsplits = frame.Splits(b);
        int neblock = frame.BlockLength(b) / nsplits;
        byte* block = src + (long)b * frame.BlockSize;
        int pos = 0;
        for (int s = 0; s < nsplits; s++)
        {
            int csize = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(encoded + pos, 4));
            byte* data = csize == neblock ? block + (long)s * neblock : encoded + pos + 4;
            new ReadOnlySpan<byte>(encoded + pos, 4).CopyTo(output[pos..]);
            new ReadOnlySpan<byte>(data, csize).CopyTo(output[(pos + 4)..]);
            pos += 4 + csize;
        }
    }

    /// <summary>c-blosc 1.21's automatic block size (compute_blocksize), or the requested one.</summary>
    private int ComputeBlocksize(int nbytes, int typeSize)
    {
        if (nbytes < typeSize) return 1;
        long blocksize = nbytes;
        if (Blocksize > 0)
        {
            blocksize = Math.Clamp(Blocksize, MinBufferSize, MaxForcedBlocksize);
        }
        else if (nbytes >= 32 * 1024)
        {
            // Compressors with a high ratio but a costly start (lz4hc, zlib, zstd) get larger blocks.
            bool highRatio = Cname == "lz4hc" || InnerFormat is FormatZlib or FormatZstd;
            blocksize = 32 * 1024 * (highRatio ? 2 : 1);
            blocksize = Clevel switch
            {
                0 => blocksize / 4,
                1 => blocksize / 2,
                2 => blocksize,
                3 => blocksize * 2,
                4 or 5 => blocksize * 4,
                6 or 7 or 8 => blocksize * 8,
                _ => blocksize * 8 * (highRatio ? 2 : 1),
            };
            if (Clevel > 0 && SplitsBlocks((int)blocksize, typeSize))
                blocksize = Math.Clamp(Math.Min(blocksize, 256 * 1024) * typeSize, 64 * 1024, 1024 * 1024);
        }
        if (blocksize > nbytes) blocksize = nbytes;
        if (blocksize > typeSize) blocksize = blocksize / typeSize * typeSize;
        return (int)blocksize;
    }

    /// <summary>c-blosc's default ("forward compatible") split mode: split every codec but zstd when the decoder's test allows.</summary>
    private bool SplitsBlocks(int blocksize, int typeSize) =>
        InnerFormat != FormatZstd && typeSize <= MaxSplits && blocksize / typeSize >= MinBufferSize;

    private static byte[] Stored(ReadOnlySpan<byte> source, byte flags, int typeSize, int blocksize)
    {
        byte[] result = GC.AllocateUninitializedArray<byte>(source.Length + HeaderSize);
        WriteHeader(result, (byte)(flags | FlagMemcpyed), typeSize, source.Length, blocksize, result.Length);
        source.CopyTo(result.AsSpan(HeaderSize));
        return result;
    }

    private static void WriteHeader(Span<byte> frame, byte flags, int typeSize, int nbytes, int blocksize, int cbytes)
    {
        frame[0] = 2; // c-blosc 1.x format version
        frame[1] = 1; // inner format version (1 for every codec)
        frame[2] = flags;
        frame[3] = (byte)typeSize;
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], nbytes);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], blocksize);
        BinaryPrimitives.WriteInt32LittleEndian(frame[12..], cbytes);
    }

    /// <summary>
    /// Shuffles one block and writes its streams (int32 size + data each); returns the bytes written.
    /// Stored streams of unshuffled blocks are left out (only their space is taken): they are copied
    /// from the source when the frame is assembled, and never when the whole frame ends up stored,
    /// which is what incompressible EM data does.
    /// </summary>
    private unsafe int EncodeBlock(in Frame frame, byte* src, byte* output, int b, WorkBuffers work)
    {
        int bsize = frame.BlockLength(b);
        int nsplits = frame.Splits(b);
        byte* block = src + (long)b * frame.BlockSize;
        if (frame.ByteShuffled)
        {
            BloscShuffle.ByteShuffle(block, work.Block, bsize, frame.TypeSize);
            block = work.Block;
        }
        else if (frame.BitShuffled(bsize))
        {
            BloscShuffle.BitShuffle(block, work.Block, bsize, frame.TypeSize, work.Scratch);
            block = work.Block;
        }
        int neblock = bsize / nsplits;
        byte* op = output;
        for (int s = 0; s < nsplits; s++)
        {
            var input = new ReadOnlySpan<byte>(block + (long)s * neblock, neblock);
            // A stream is only worth keeping when strictly smaller than its input; csize == neblock means "stored".
            int csize = EncodeInner(input, new Span<byte>(op + 4, neblock - 1));
            if (csize == 0)
            {
                if (block != src + (long)b * frame.BlockSize) input.CopyTo(new Span<byte>(op + 4, neblock));
                csize = neblock;
            }
            BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(op, 4), csize);
            op += 4 + csize;
        }
        return (int)(op - output);
    }

    /// <summary>Compresses one stream; 0 when it does not fit in <paramref name="output"/>.</summary>
    private int EncodeInner(ReadOnlySpan<byte> input, Span<byte> output)
    {
        switch (InnerFormat)
        {
            case FormatBloscLz:
                return BloscLz.Encode(input, output);
            case FormatLz4:
                // c-blosc's level mapping: LZ4HC level = clevel, LZ4 acceleration = 10 - clevel.
                return Cname == "lz4hc" ? Lz4Block.EncodeHC(input, output, Clevel) : Lz4Block.Encode(input, output, 10 - Clevel);
            case FormatZlib:
                byte[] z = DeflateFamily.Encode(input, Clevel, s => new ZLibStream(s, DeflateFamily.Compression(Clevel)));
                if (z.Length > output.Length) return 0;
                z.CopyTo(output);
                return z.Length;
            case FormatZstd:
                {
                    // c-blosc's level mapping: 2 * clevel - 1, and the maximum (22) at clevel 9.
                    byte[] zs = Zstd.Compress(input, Clevel >= 9 ? Zstd.MaxLevel : Math.Max(1, 2 * Clevel - 1));
                    if (zs.Length > output.Length) return 0;
                    zs.CopyTo(output);
                    return zs.Length;
                }
            default:
                throw new InvalidOperationException($"Blosc inner format {InnerFormat} has no encoder.");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Work buffers and block-parallel loops

    /// <summary>
    /// A pinned buffer from ArrayPool (reused between calls, so large frames do not page-fault fresh
    /// memory every time), or native memory beyond the largest array .NET allows.
    /// </summary>
    private sealed unsafe class PinnedBuffer : IDisposable
    {
        private byte[]? _array;
        private GCHandle _pin;
        private byte* _native;

        public PinnedBuffer(long length)
        {
            if (length <= Array.MaxLength)
            {
                _array = ArrayPool<byte>.Shared.Rent((int)length);
                _pin = GCHandle.Alloc(_array, GCHandleType.Pinned);
                Pointer = (byte*)_pin.AddrOfPinnedObject();
            }
            else
            {
                Pointer = _native = (byte*)NativeMemory.Alloc((nuint)length);
            }
        }

        public byte* Pointer { get; }

        public void Dispose()
        {
            if (_array != null)
            {
                _pin.Free();
                ArrayPool<byte>.Shared.Return(_array);
                _array = null;
            }
            NativeMemory.Free(_native);
            _native = null;
        }
    }

    /// <summary>Per-thread block buffers (shuffle target, bit-shuffle scratch), taken on first use.</summary>
    private sealed unsafe class WorkBuffers(int blocksize) : IDisposable
    {
        private PinnedBuffer? _block, _scratch;

        public byte* Block => (_block ??= new PinnedBuffer(blocksize)).Pointer;

        public byte* Scratch => (_scratch ??= new PinnedBuffer(blocksize)).Pointer;

        public void Dispose()
        {
            _block?.Dispose();
            _scratch?.Dispose();
            _block = _scratch = null;
        }
    }

    private static void RunParallel(int nblocks, int blocksize, Action<int, WorkBuffers> body)
    {
        try
        {
            Parallel.For(0, nblocks, () => new WorkBuffers(blocksize), (b, _, work) =>
            {
                body(b, work);
                return work;
            }, work => work.Dispose());
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }
}
