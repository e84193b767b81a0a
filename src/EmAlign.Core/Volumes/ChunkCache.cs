namespace EmAlign.Volumes;

/// <summary>
/// A bounded least-recently-used cache of decoded chunks, shared by the levels of one or more volumes.
/// Bounded by bytes, so reading a volume larger than memory streams through it.
/// </summary>
public sealed class ChunkCache
{
    /// <summary>Default capacity: 256 MiB, or the EMALIGN_CACHE_MB environment variable.</summary>
    public static long DefaultCapacityBytes { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("EMALIGN_CACHE_MB"), out var mb) && mb > 0 ? mb << 20 : 256L << 20;

    private readonly record struct Key(IChunkedArray Array, long Chunk);

    private readonly Dictionary<Key, LinkedListNode<(Key Key, byte[] Data)>> _map = new();
    private readonly LinkedList<(Key Key, byte[] Data)> _lru = new();
    private readonly object _gate = new();
    private long _bytes;

    public ChunkCache(long capacityBytes) => CapacityBytes = Math.Max(0, capacityBytes);

    public long CapacityBytes { get; }

    /// <summary>Bytes currently held.</summary>
    public long SizeBytes { get { lock (_gate) return _bytes; } }

    public bool TryGet(IChunkedArray array, long chunk, out byte[] data)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(new Key(array, chunk), out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                data = node.Value.Data;
                return true;
            }
        }
        data = [];
        return false;
    }

    /// <summary>Stores (or replaces) a decoded chunk; the cache keeps the array, callers must not change it afterwards.</summary>
    public void Put(IChunkedArray array, long chunk, byte[] data)
    {
        if (data.Length > CapacityBytes) { Remove(array, chunk); return; }
        var key = new Key(array, chunk);
        lock (_gate)
        {
            if (_map.Remove(key, out var old)) { _lru.Remove(old); _bytes -= old.Value.Data.Length; }
            _map[key] = _lru.AddFirst((key, data));
            _bytes += data.Length;
            while (_bytes > CapacityBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
                _bytes -= last.Value.Data.Length;
            }
        }
    }

    public void Remove(IChunkedArray array, long chunk)
    {
        lock (_gate)
        {
            if (_map.Remove(new Key(array, chunk), out var old)) { _lru.Remove(old); _bytes -= old.Value.Data.Length; }
        }
    }

    /// <summary>Drops every chunk of <paramref name="array"/>.</summary>
    public void Evict(IChunkedArray array)
    {
        lock (_gate)
        {
            for (var node = _lru.First; node is not null;)
            {
                var next = node.Next;
                if (ReferenceEquals(node.Value.Key.Array, array)) { _map.Remove(node.Value.Key); _lru.Remove(node); _bytes -= node.Value.Data.Length; }
                node = next;
            }
        }
    }
}
