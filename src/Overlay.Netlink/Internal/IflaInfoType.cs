namespace Overlay.Netlink.Internal;

/// <summary>Attributes inside IFLA_LINKINFO (<c>IFLA_INFO_*</c>).</summary>
internal static class IflaInfoType
{
    /// <summary>IFLA_INFO_KIND.</summary>
    public const ushort Kind = 1;

    /// <summary>IFLA_INFO_DATA (nested, kind-specific).</summary>
    public const ushort Data = 2;

    /// <summary>IFLA_INFO_XSTATS.</summary>
    public const ushort XStats = 3;

    /// <summary>IFLA_INFO_SLAVE_KIND.</summary>
    public const ushort SlaveKind = 4;
}
