using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr3;

/// <summary>
/// A parsed Zarr v3 codec list for chunks of one shape: zero or more transposes (folded into one
/// <see cref="MemoryOrder"/>), one array-to-bytes codec ("bytes" with its endianness, or "sharding_indexed"),
/// then bytes-to-bytes codecs (gzip, zstd, blosc, crc32c) applied in list order when encoding.
/// </summary>
internal sealed class Zarr3CodecChain
{
    private readonly (IChunkCodec Codec, int ElementSize)[] _bytesCodecs;

    private Zarr3CodecChain(int[] memoryOrder, bool bigEndian, ShardingCodec? sharding, (IChunkCodec, int)[] bytesCodecs)
    {
        MemoryOrder = memoryOrder;
        BigEndian = bigEndian;
        Sharding = sharding;
        _bytesCodecs = bytesCodecs;
    }

    /// <summary>Stored axes from slowest to fastest in a chunk's serialised bytes (C order without transposes).</summary>
    public int[] MemoryOrder { get; }

    /// <summary>Elements are serialised big-endian ("bytes" codec with endian "big").</summary>
    public bool BigEndian { get; }

    /// <summary>The sharding codec, when it is the array-to-bytes codec.</summary>
    public ShardingCodec? Sharding { get; }

    public bool Compresses => _bytesCodecs.Length > 0;

    /// <summary>Parses <paramref name="codecs"/> for chunks of <paramref name="chunkShape"/> (stored order) holding <paramref name="type"/>.</summary>
    public static Zarr3CodecChain Parse(JsonArray codecs, DataType type, int[] chunkShape, string file, string where = "codecs")
    {
        int rank = chunkShape.Length;
        int[] order = [.. Enumerable.Range(0, rank)];
        bool? bigEndian = null;
        ShardingCodec? sharding = null;
        var bytesCodecs = new List<(IChunkCodec, int)>();
        foreach (var node in codecs)
        {
            var (name, config) = Zarr3Json.Extension(node, where + " entry", file);
            bool arrayToBytesSeen = bigEndian is not null || sharding is not null;
            switch (name)
            {
                case "transpose":
                    if (arrayToBytesSeen) throw Misplaced(name, file, where);
                    var t = TransposeOrder(config?["order"], rank, file);
                    order = [.. t.Select(i => order[i])];
                    break;
                case "bytes" or "endian":
                    if (arrayToBytesSeen) throw TwoArrayToBytes(file, where);
                    var endian = JsonAttributes.String(config?["endian"], "bytes endian", file);
                    if (endian is null && type.Size() > 1)
                        throw new InvalidVolumeException($"'{file}': the bytes codec has no endian for {type.Name()} data; expected \"little\" or \"big\".", file);
                    if (endian is not (null or "little" or "big"))
                        throw new InvalidVolumeException($"'{file}': bytes endian is \"{endian}\"; expected \"little\" or \"big\".", file);
                    bigEndian = endian == "big" && type.Size() > 1;
                    break;
                case "sharding_indexed":
                    if (arrayToBytesSeen) throw TwoArrayToBytes(file, where);
                    if (order.Where((a, i) => a != i).Any())
                        throw new InvalidVolumeException($"'{file}': a transpose before sharding_indexed is not supported; expected transposes inside the sharding codec's codecs.", file);
                    if (where != "codecs")
                        throw new InvalidVolumeException($"'{file}': sharding_indexed inside {where} (nested sharding) is not supported.", file);
                    sharding = ShardingCodec.Parse(config, type, chunkShape, file);
                    bigEndian = false;
                    break;
                default:
                    if (!arrayToBytesSeen)
                        throw new InvalidVolumeException($"'{file}': {where} has '{name}' before the array-to-bytes codec; expected transpose, then bytes or sharding_indexed, then compressors.", file);
                    if (sharding is not null)
                        throw new InvalidVolumeException($"'{file}': {where} compresses whole shards with '{name}'; expected compressors inside the sharding codec's codecs.", file);
                    bytesCodecs.Add(BytesCodec(name, config, type, file));
                    break;
            }
        }
        if (bigEndian is null)
            throw new InvalidVolumeException($"'{file}': {where} has no array-to-bytes codec; expected \"bytes\" or \"sharding_indexed\".", file);
        return new Zarr3CodecChain(order, bigEndian.Value, sharding, [.. bytesCodecs]);
    }

    /// <summary>Applies the bytes-to-bytes codecs to a serialised chunk.</summary>
    public byte[] Encode(ReadOnlySpan<byte> serialized)
    {
        if (_bytesCodecs.Length == 0) return serialized.ToArray();
        byte[] data = _bytesCodecs[0].Codec.Encode(serialized, _bytesCodecs[0].ElementSize);
        for (int i = 1; i < _bytesCodecs.Length; i++) data = _bytesCodecs[i].Codec.Encode(data, _bytesCodecs[i].ElementSize);
        return data;
    }

    /// <summary>
    /// Undoes the bytes-to-bytes codecs of <paramref name="stored"/> into <paramref name="serialized"/>, which it must
    /// fill exactly; <paramref name="where"/> names the chunk in errors.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> stored, Span<byte> serialized, string where)
    {
        int n;
        if (_bytesCodecs.Length == 0)
        {
            if (stored.Length != serialized.Length) throw SizeError(where, stored.Length, serialized.Length);
            stored.CopyTo(serialized);
            return;
        }
        byte[]? pooled = null;
        try
        {
            var input = stored;
            for (int i = _bytesCodecs.Length - 1; i > 0; i--)
            {
                // Intermediate sizes are not stored; each stage's output is at most its input to the encoder plus overhead.
                int bound = Bound(serialized.Length, i);
                var next = ArrayPool<byte>.Shared.Rent(bound);
                int m = Run(_bytesCodecs[i].Codec, input, next.AsSpan(0, bound), where);
                if (pooled is not null) ArrayPool<byte>.Shared.Return(pooled);
                pooled = next;
                input = next.AsSpan(0, m);
            }
            n = Run(_bytesCodecs[0].Codec, input, serialized, where);
        }
        finally
        {
            if (pooled is not null) ArrayPool<byte>.Shared.Return(pooled);
        }
        if (n != serialized.Length) throw SizeError(where, n, serialized.Length);
    }

    /// <summary>The codec list for new arrays: bytes (little-endian) then <paramref name="compressor"/>, after a transpose when given.</summary>
    public static JsonArray Build(IChunkCodec? compressor, DataType type, int[]? transpose)
    {
        var list = new JsonArray();
        if (transpose is not null && transpose.Where((a, i) => a != i).Any())
            list.Add(new JsonObject { ["name"] = "transpose", ["configuration"] = new JsonObject { ["order"] = new JsonArray([.. transpose.Select(a => (JsonNode)JsonValue.Create(a))]) } });
        list.Add(new JsonObject { ["name"] = "bytes", ["configuration"] = new JsonObject { ["endian"] = "little" } });
        if (compressor is not null) list.Add(CompressorJson(compressor, type));
        return list;
    }

    /// <summary>Names of compressors a Zarr v3 array can be created with (as <see cref="ChunkCodecs"/> spells them).</summary>
    public static bool CanStore(IChunkCodec codec) => codec is GzipCodec or BloscCodec or ZstdCodec;

    private static JsonObject CompressorJson(IChunkCodec codec, DataType type) => codec switch
    {
        GzipCodec g => new JsonObject { ["name"] = "gzip", ["configuration"] = new JsonObject { ["level"] = g.Level < 0 ? 6 : g.Level } },
        // zarr-python 3 writes checksum even when false; readers that predate it ignore unknown keys of codecs they know.
        ZstdCodec z => new JsonObject { ["name"] = "zstd", ["configuration"] = new JsonObject { ["level"] = z.Level, ["checksum"] = z.Checksum } },
        BloscCodec b => new JsonObject
        {
            ["name"] = "blosc",
            ["configuration"] = new JsonObject
            {
                ["cname"] = b.Cname,
                ["clevel"] = b.Clevel,
                // numcodecs' automatic choice made explicit: bit shuffle for 1-byte elements, else byte shuffle.
                ["shuffle"] = (b.Shuffle == -1 ? (type.Size() == 1 ? 2 : 1) : b.Shuffle) switch { 0 => "noshuffle", 2 => "bitshuffle", _ => "shuffle" },
                ["typesize"] = type.Size(),
                ["blocksize"] = b.Blocksize,
            },
        },
        _ => throw new EmAlignException($"Codec '{codec.Name}' cannot be stored in Zarr v3: expected none, gzip, zstd or a blosc codec.", "codec"),
    };

    private static (IChunkCodec, int) BytesCodec(string name, JsonObject? config, DataType type, string file)
    {
        int Int(string key, int fallback) => config?[key] is null ? fallback : (int)JsonAttributes.Long(config[key], $"{name} {key}", file);
        return name switch
        {
            "gzip" => (new GzipCodec(Int("level", 6)), 1),
            "crc32c" => (Crc32CCodec.Instance, 1),
            "zstd" => (new ZstdCodec(Int("level", 0), config?["checksum"] is { } c && JsonAttributes.Bool(c, "zstd checksum", file)), 1),
            "blosc" => (new BloscCodec(JsonAttributes.String(config?["cname"], "blosc cname", file) ?? "lz4", Int("clevel", 5), BloscShuffle(config?["shuffle"], file), Int("blocksize", 0)),
                Math.Max(1, Int("typesize", type.Size()))),
            _ => throw new InvalidVolumeException(
                $"'{file}': codec '{name}' is not supported; expected transpose, bytes, sharding_indexed, gzip, zstd, blosc or crc32c.", file),
        };
    }

    /// <summary>Blosc's shuffle as Zarr v3 writes it ("noshuffle", "shuffle", "bitshuffle"; early drafts: 0, 1, 2).</summary>
    private static int BloscShuffle(JsonNode? node, string file)
    {
        if (node is null) return 1;
        if (node is JsonValue v && v.TryGetValue<string>(out var s))
            return s switch
            {
                "noshuffle" => 0, "shuffle" => 1, "bitshuffle" => 2,
                _ => throw new InvalidVolumeException($"'{file}': blosc shuffle \"{s}\"; expected \"noshuffle\", \"shuffle\" or \"bitshuffle\".", file),
            };
        return (int)JsonAttributes.Long(node, "blosc shuffle", file);
    }

    private static int Run(IChunkCodec codec, ReadOnlySpan<byte> input, Span<byte> output, string where)
    {
        try { return codec.Decode(input, output); }
        catch (CorruptDataException e) { throw new CorruptDataException($"{where} is damaged ({codec.Name}): {e.Message}", e.Target, e); }
    }

    /// <summary>Upper bound of the bytes entering codec <paramref name="stage"/> when encoding <paramref name="serialized"/> bytes.</summary>
    private static int Bound(int serialized, int stage)
    {
        long b = serialized;
        for (int i = 0; i < stage; i++) b += b / 8 + 4096;
        return (int)Math.Min(b, int.MaxValue - 64);
    }

    private static int[] TransposeOrder(JsonNode? node, int rank, string file)
    {
        // Early drafts wrote "C" (identity) or "F" (reversed).
        if (node is JsonValue v && v.TryGetValue<string>(out var s))
            return s switch
            {
                "C" => [.. Enumerable.Range(0, rank)],
                "F" => [.. Enumerable.Range(0, rank).Reverse()],
                _ => throw new InvalidVolumeException($"'{file}': transpose order \"{s}\"; expected a permutation list.", file),
            };
        var order = JsonAttributes.Longs(node, "transpose order", file);
        if (order.Length != rank || order.Distinct().Count() != rank || order.Any(a => a < 0 || a >= rank))
            throw new InvalidVolumeException($"'{file}': transpose order {node!.ToJsonString()} is not a permutation of {rank} dimensions.", file);
        return [.. order.Select(a => (int)a)];
    }

    private static InvalidVolumeException Misplaced(string name, string file, string where) =>
        new($"'{file}': {where} has '{name}' after the array-to-bytes codec; expected array-to-array codecs first.", file);

    private static InvalidVolumeException TwoArrayToBytes(string file, string where) =>
        new($"'{file}': {where} has more than one array-to-bytes codec (bytes, sharding_indexed); expected exactly one.", file);

    private static CorruptDataException SizeError(string where, int got, int expected) =>
        new($"{where} decodes to {got} bytes; expected {expected}.", where);
}

/// <summary>
/// The sharding_indexed codec's configuration: inner chunk shape (stored order), the inner codec chain, and the
/// index layout: (offset, nbytes) uint64 pairs per inner chunk in C order of the inner grid, optionally followed by
/// a CRC32C, at the end (default) or start of the shard file. Both words 2^64-1 mark a missing inner chunk.
/// </summary>
internal sealed record ShardingCodec(int[] InnerShape, int[] ChunksPerShard, Zarr3CodecChain Inner, bool IndexAtStart, bool IndexChecksum, bool IndexBigEndian)
{
    public const ulong Missing = ulong.MaxValue;

    /// <summary>Inner chunks per shard.</summary>
    public int Count { get; } = ChunksPerShard.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>Bytes of the encoded index.</summary>
    public int IndexBytes => 16 * Count + (IndexChecksum ? 4 : 0);

    public static ShardingCodec Parse(JsonObject? config, DataType type, int[] shardShape, string file)
    {
        var inner = JsonAttributes.Longs(config?["chunk_shape"], "sharding_indexed chunk_shape", file);
        if (inner.Length != shardShape.Length || inner.Select((c, i) => c < 1 || shardShape[i] % c != 0).Any(b => b))
            throw new InvalidVolumeException(
                $"'{file}': sharding chunk_shape {config?["chunk_shape"]?.ToJsonString()} does not divide the shard shape [{string.Join(", ", shardShape)}].", file);
        int[] innerShape = [.. inner.Select(c => (int)c)];
        if (config!["codecs"] is not JsonArray { Count: > 0 } codecs)
            throw new InvalidVolumeException($"'{file}': sharding_indexed has no codecs; expected the inner chunks' codec list.", file);
        var chain = Zarr3CodecChain.Parse(codecs, type, innerShape, file, "sharding_indexed codecs");

        var location = JsonAttributes.String(config["index_location"], "index_location", file) ?? "end";
        if (location is not ("end" or "start"))
            throw new InvalidVolumeException($"'{file}': index_location is \"{location}\"; expected \"end\" or \"start\".", file);

        // The index must be fixed-size: bytes, optionally crc32c.
        bool checksum = false, big = false;
        var ic = config["index_codecs"] as JsonArray ?? [new JsonObject { ["name"] = "bytes", ["configuration"] = new JsonObject { ["endian"] = "little" } }, new JsonObject { ["name"] = "crc32c" }];
        var names = ic.Select(n => Zarr3Json.Extension(n, "index_codecs entry", file)).ToList();
        if (names.Count is < 1 or > 2 || names[0].Name is not ("bytes" or "endian") || (names.Count == 2 && names[1].Name != "crc32c"))
            throw new InvalidVolumeException(
                $"'{file}': index_codecs {ic.ToJsonString()} are not supported; expected bytes, optionally followed by crc32c.", file);
        big = JsonAttributes.String(names[0].Config?["endian"], "index endian", file) == "big";
        checksum = names.Count == 2;
        return new ShardingCodec(innerShape, [.. shardShape.Select((s, i) => s / innerShape[i])], chain, location == "start", checksum, big);
    }

    /// <summary>The codec's JSON for new arrays: inner codecs, index as bytes little-endian plus crc32c at the end.</summary>
    public static JsonObject Build(int[] innerShape, JsonArray innerCodecs) => new()
    {
        ["name"] = "sharding_indexed",
        ["configuration"] = new JsonObject
        {
            ["chunk_shape"] = new JsonArray([.. innerShape.Select(c => (JsonNode)JsonValue.Create(c))]),
            ["codecs"] = innerCodecs,
            ["index_codecs"] = new JsonArray
            {
                new JsonObject { ["name"] = "bytes", ["configuration"] = new JsonObject { ["endian"] = "little" } },
                new JsonObject { ["name"] = "crc32c" },
            },
            ["index_location"] = "end",
        },
    };

    /// <summary>Decodes an index (<see cref="IndexBytes"/> bytes) into (offset, nbytes) pairs; checks the CRC32C.</summary>
    public ulong[] ReadIndex(ReadOnlySpan<byte> encoded, long fileLength, string file)
    {
        var words = encoded[..(16 * Count)];
        if (IndexChecksum)
        {
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(encoded[(16 * Count)..]);
            uint actual = Crc32C.Compute(words);
            if (stored != actual)
                throw new CorruptDataException($"Shard '{file}': the index checksum fails (stored CRC32C 0x{stored:X8}, computed 0x{actual:X8}); the shard is damaged.", file);
        }
        var index = new ulong[2 * Count];
        for (int i = 0; i < index.Length; i++)
            index[i] = IndexBigEndian ? BinaryPrimitives.ReadUInt64BigEndian(words[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(words[(8 * i)..]);
        long dataStart = IndexAtStart ? IndexBytes : 0, dataEnd = IndexAtStart ? fileLength : fileLength - IndexBytes;
        for (int i = 0; i < Count; i++)
        {
            ulong off = index[2 * i], len = index[2 * i + 1];
            if (off == Missing && len == Missing) continue;
            if (off < (ulong)dataStart || len > (ulong)(dataEnd - dataStart) || off + len > (ulong)dataEnd || len > int.MaxValue)
                throw new CorruptDataException($"Shard '{file}': inner chunk {i} is at bytes [{off}, +{len}) outside the shard's {fileLength} bytes; the shard is damaged.", file);
        }
        return index;
    }

    /// <summary>Encodes (offset, nbytes) pairs into the index bytes (little-endian words, CRC32C when configured).</summary>
    public void WriteIndex(ReadOnlySpan<ulong> index, Span<byte> destination)
    {
        for (int i = 0; i < index.Length; i++)
        {
            if (IndexBigEndian) BinaryPrimitives.WriteUInt64BigEndian(destination[(8 * i)..], index[i]);
            else BinaryPrimitives.WriteUInt64LittleEndian(destination[(8 * i)..], index[i]);
        }
        if (IndexChecksum) BinaryPrimitives.WriteUInt32LittleEndian(destination[(16 * Count)..], Crc32C.Compute(destination[..(16 * Count)]));
    }
}

/// <summary>The Zarr v3 "crc32c" bytes-to-bytes codec: appends the CRC32C of the data (uint32 little-endian); decoding checks it.</summary>
internal sealed class Crc32CCodec : IChunkCodec
{
    public static Crc32CCodec Instance { get; } = new();

    public string Name => "crc32c";

    public byte[] Encode(ReadOnlySpan<byte> source, int elementSize)
    {
        var r = new byte[source.Length + 4];
        source.CopyTo(r);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(source.Length), Crc32C.Compute(source));
        return r;
    }

    public int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length < 4) throw new CorruptDataException($"a crc32c-checked chunk holds {source.Length} bytes; expected at least the 4-byte checksum.");
        var data = source[..^4];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(source[^4..]), actual = Crc32C.Compute(data);
        if (stored != actual) throw new CorruptDataException($"the CRC32C checksum fails (stored 0x{stored:X8}, computed 0x{actual:X8}).");
        if (data.Length > destination.Length) throw new CorruptDataException($"the checked data holds {data.Length} bytes; at most {destination.Length} fit.");
        data.CopyTo(destination);
        return data.Length;
    }
}
