using EmAlign.Diagnostics;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>
/// A plain WKW mag folder ("wkw": header.wkw plus z/y/x.wkw files) outside a dataset. WKW records no extent, so an
/// opened folder covers the data files present (whole files from the origin) and has no voxel size. Created folders
/// hold raw files ("none"), or LZ4 ("lz4") / LZ4HC ("lz4hc") blocks; the chunk size is the block side, the shard size
/// the file side.
/// </summary>
public sealed class WkwFormat : IVolumeFormat
{
    public string Name => "wkw";

    public bool CanOpen(string path) =>
        Directory.Exists(path) && File.Exists(Path.Combine(path, WkwArray.HeaderFile)) && !WebKnossosDataset.IsDataset(path);

    public EmVolume Open(string path, VolumeOpenOptions options)
    {
        path = Path.GetFullPath(path);
        var header = WkwArray.ReadHeader(path) ?? throw new VolumeNotFoundException($"'{path}' has no {WkwArray.HeaderFile}: expected a WKW folder.", path);
        var array = new WkwArray(path, header, WkwArray.ExtentOfFiles(path, header), options.Writable);
        return new EmVolume(path, Name, "", [new VolumeLevel(Mag.One, array)], VoxelSize.Unknown, options.Cache);
    }

    public EmVolume Create(string path, VolumeCreateOptions options)
    {
        path = Path.GetFullPath(path);
        var req = CreateRequest.From(path, options);
        if (req.IsPyramid) throw new EmAlignException("A WKW folder holds one mag; write a WEBKNOSSOS dataset (format webknossos) for several.", "ExtraMags");
        if (options.FillValue != 0) throw new EmAlignException($"Fill value {options.FillValue} cannot be stored in WKW: missing blocks read as 0.", "FillValue");
        var type = options.Codec switch
        {
            "none" => WkwBlockType.Raw,
            "lz4" => WkwBlockType.Lz4,
            "lz4hc" or "blosc-lz4hc" => WkwBlockType.Lz4HC,
            _ => throw new EmAlignException($"Codec '{options.Codec}' cannot be stored in WKW: expected none, lz4 or lz4hc.", "codec"),
        };
        int block = req.Chunks[^1], file = options.ShardShape?[^1] ?? 1024;
        if (!System.Numerics.BitOperations.IsPow2(block) || req.Chunks.Skip(req.Chunks.Length - 3).Any(c => c != block) || file % block != 0 || !System.Numerics.BitOperations.IsPow2(file / block))
            throw new EmAlignException($"WKW blocks are cubes with a power-of-two side and files a power-of-two number of blocks: chunks [{string.Join(", ", req.Chunks)}], file side {file} do not fit.", "ChunkShape");
        int channels = req.Shape.Length == 4 ? (int)req.Shape[0] : 1;
        var header = new WkwHeader(System.Numerics.BitOperations.Log2((uint)block), System.Numerics.BitOperations.Log2((uint)(file / block)), type, options.DataType, options.DataType.Size() * channels, 0);
        CreateRequest.RemoveExisting(path, options.Force, d => File.Exists(Path.Combine(d, WkwArray.HeaderFile)), "WKW");
        Directory.CreateDirectory(path);
        WkwArray.WriteHeader(path, header);
        var array = new WkwArray(path, header, [req.Shape[^3], req.Shape[^2], req.Shape[^1]], writable: true);
        return new EmVolume(path, Name, "", [new VolumeLevel(Mag.One, array)], options.VoxelSize, options.Cache);
    }
}
