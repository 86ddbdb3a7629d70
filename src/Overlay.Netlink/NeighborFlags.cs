namespace Overlay.Netlink;

/// <summary>Neighbour flags (<c>NTF_*</c>).</summary>
[Flags]
public enum NeighborFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>NTF_USE.</summary>
    Use = 0x01,

    /// <summary>NTF_SELF: the entry belongs to the device itself (e.g. the vxlan FDB).</summary>
    Self = 0x02,

    /// <summary>NTF_MASTER: the entry belongs to the master (bridge).</summary>
    Master = 0x04,

    /// <summary>NTF_PROXY.</summary>
    Proxy = 0x08,

    /// <summary>NTF_EXT_LEARNED.</summary>
    ExternallyLearned = 0x10,

    /// <summary>NTF_OFFLOADED.</summary>
    Offloaded = 0x20,

    /// <summary>NTF_STICKY.</summary>
    Sticky = 0x40,

    /// <summary>NTF_ROUTER.</summary>
    Router = 0x80,
}
