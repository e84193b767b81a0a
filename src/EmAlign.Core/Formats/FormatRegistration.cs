namespace EmAlign.Formats;

/// <summary>The one place that lists the built-in formats, in detection order.</summary>
internal static class FormatRegistration
{
    public static void RegisterBuiltIns()
    {
        VolumeFormats.Register(new Tiff.TiffFormat());
        VolumeFormats.Register(new Tiff.TiffFolderFormat());
        // Before the Zarr and N5 formats: a WEBKNOSSOS layer folder is also a Zarr/N5 node, but opens as a layer.
        VolumeFormats.Register(new WebKnossos.WebKnossosFormat());
        VolumeFormats.Register(new WebKnossos.WkwFormat());
        VolumeFormats.Register(new Zarr.ZarrFormat());
        VolumeFormats.Register(new N5.N5Format());
        VolumeFormats.Register(new Zarr3.Zarr3Format());
    }
}
