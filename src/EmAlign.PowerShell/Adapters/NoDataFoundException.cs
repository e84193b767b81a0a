using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.FrontEnds;

/// <summary>
/// The data bounding box search found nothing: Find-DataBoundingBox and `emalign bbox` report this as a
/// failure of that input rather than passing on an empty box. Shared (linked) by the cmdlets and the CLI.
/// </summary>
internal sealed class NoDataFoundException(string path)
    : EmAlignException($"'{path}' holds no data: every section is blank or nothing stands out from the background. Expected a volume with tissue in it.", path)
{
    /// <summary>The found box (mag-1 voxels), or throws when it is empty.</summary>
    public static Box3 Require(DataBoundingBoxResult result, string path) =>
        result.Box.IsEmpty ? throw new NoDataFoundException(path) : result.Box;
}
