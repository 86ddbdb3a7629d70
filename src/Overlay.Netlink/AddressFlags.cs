namespace Overlay.Netlink;

/// <summary>Address flags (<c>IFA_F_*</c>).</summary>
[Flags]
public enum AddressFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>IFA_F_SECONDARY.</summary>
    Secondary = 0x01,

    /// <summary>IFA_F_NODAD: skip duplicate address detection (IPv6).</summary>
    NoDad = 0x02,

    /// <summary>IFA_F_OPTIMISTIC.</summary>
    Optimistic = 0x04,

    /// <summary>IFA_F_DADFAILED.</summary>
    DadFailed = 0x08,

    /// <summary>IFA_F_HOMEADDRESS.</summary>
    HomeAddress = 0x10,

    /// <summary>IFA_F_DEPRECATED.</summary>
    Deprecated = 0x20,

    /// <summary>IFA_F_TENTATIVE.</summary>
    Tentative = 0x40,

    /// <summary>IFA_F_PERMANENT.</summary>
    Permanent = 0x80,

    /// <summary>IFA_F_MANAGETEMPADDR.</summary>
    ManageTemporaryAddress = 0x100,

    /// <summary>IFA_F_NOPREFIXROUTE: do not add the prefix route.</summary>
    NoPrefixRoute = 0x200,
}
