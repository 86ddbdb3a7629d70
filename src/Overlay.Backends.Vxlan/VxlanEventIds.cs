namespace Overlay.Backends.Vxlan;

/// <summary>Event ids of the vxlan backend (4100–4199). Ids are never reused.</summary>
public static class VxlanEventIds
{
    /// <summary>The vxlan network was registered (devices ready, lease acquired).</summary>
    public const int NetworkRegistered = 4100;

    /// <summary>A member of the <c>Backend</c> configuration is ignored on Linux (Windows-only or unknown).</summary>
    public const int ConfigMemberIgnored = 4101;

    /// <summary>A vxlan device was created.</summary>
    public const int DeviceCreated = 4102;

    /// <summary>An existing vxlan device was corrected in place (MTU, MAC).</summary>
    public const int DeviceCorrected = 4103;

    /// <summary>A vxlan device was deleted and created again (missing, or an attribute that cannot be changed differs).</summary>
    public const int DeviceRecreated = 4104;

    /// <summary>An address on the vxlan device was added or a stale one removed.</summary>
    public const int DeviceAddressChanged = 4105;

    /// <summary>The VTEP MAC was chosen (and where it came from).</summary>
    public const int VtepMacChosen = 4106;

    /// <summary>Ensuring the devices failed; retried on the next notification or full reconcile.</summary>
    public const int DeviceRepairFailed = 4107;

    /// <summary>A peer's BackendData could not be decoded.</summary>
    public const int PeerBackendDataInvalid = 4108;

    /// <summary>The accept_ra sysctl of a device could not be written.</summary>
    public const int AcceptRaNotSet = 4109;
}
