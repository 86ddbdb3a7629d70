namespace Overlay.Netlink.Internal;

/// <summary>Route metrics inside RTA_METRICS (<c>RTAX_*</c>).</summary>
internal static class RtaxType
{
    /// <summary>RTAX_LOCK.</summary>
    public const ushort Lock = 1;

    /// <summary>RTAX_MTU.</summary>
    public const ushort Mtu = 2;

    /// <summary>RTAX_ADVMSS.</summary>
    public const ushort AdvertisedMss = 8;
}
