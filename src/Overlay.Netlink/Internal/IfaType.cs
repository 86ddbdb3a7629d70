namespace Overlay.Netlink.Internal;

/// <summary>Address attributes (<c>IFA_*</c>, linux/if_addr.h).</summary>
internal static class IfaType
{
    /// <summary>IFA_ADDRESS (the peer address on point-to-point links, otherwise the address).</summary>
    public const ushort Address = 1;

    /// <summary>IFA_LOCAL.</summary>
    public const ushort Local = 2;

    /// <summary>IFA_LABEL.</summary>
    public const ushort Label = 3;

    /// <summary>IFA_BROADCAST.</summary>
    public const ushort Broadcast = 4;

    /// <summary>IFA_CACHEINFO.</summary>
    public const ushort CacheInfo = 6;

    /// <summary>IFA_FLAGS (u32, extends ifa_flags).</summary>
    public const ushort Flags = 8;
}
