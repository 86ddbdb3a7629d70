namespace Overlay.Netlink.Internal;

/// <summary>Route attributes (<c>RTA_*</c>).</summary>
internal static class RtaType
{
    /// <summary>RTA_DST.</summary>
    public const ushort Destination = 1;

    /// <summary>RTA_SRC.</summary>
    public const ushort Source = 2;

    /// <summary>RTA_IIF.</summary>
    public const ushort InputInterface = 3;

    /// <summary>RTA_OIF.</summary>
    public const ushort OutputInterface = 4;

    /// <summary>RTA_GATEWAY.</summary>
    public const ushort Gateway = 5;

    /// <summary>RTA_PRIORITY (metric).</summary>
    public const ushort Priority = 6;

    /// <summary>RTA_PREFSRC.</summary>
    public const ushort PreferredSource = 7;

    /// <summary>RTA_METRICS (nested RTAX_*).</summary>
    public const ushort Metrics = 8;

    /// <summary>RTA_MULTIPATH.</summary>
    public const ushort Multipath = 9;

    /// <summary>RTA_CACHEINFO.</summary>
    public const ushort CacheInfo = 12;

    /// <summary>RTA_TABLE (u32).</summary>
    public const ushort Table = 15;

    /// <summary>RTA_MARK.</summary>
    public const ushort Mark = 16;

    /// <summary>RTA_PREF (u8, IPv6 router preference).</summary>
    public const ushort Preference = 20;
}
