namespace Overlay.Backends.IPIP;

/// <summary>Event ids of the ipip backend (4400–4499). Ids are never reused.</summary>
public static class IPIPEventIds
{
    /// <summary>The ipip network was registered (mode, device, address, MTU, DirectRouting).</summary>
    public const int NetworkRegistered = 4400;

    /// <summary>The kernel has no ipip (the probe's reason); the user-space data path is used. Logged once per registration.</summary>
    public const int KernelIPIPUnavailable = 4401;

    /// <summary>The kernel's ipip device was created.</summary>
    public const int DeviceCreated = 4402;

    /// <summary>Our ipip device had the wrong local or remote address and was deleted and created again.</summary>
    public const int DeviceRecreated = 4403;

    /// <summary>The device's MTU was corrected.</summary>
    public const int DeviceCorrected = 4404;

    /// <summary>Repairing the device after a notification failed; retried on the next event.</summary>
    public const int DeviceRepairFailed = 4405;

    /// <summary>The user-space data path (TUN device and engine) was created or re-created.</summary>
    public const int UserSpaceDataPathCreated = 4406;

    /// <summary>The user-space tunnel engine stopped with an error.</summary>
    public const int TunnelFailed = 4407;

    /// <summary>User-space mode was forced on a kernel that has ipip: its tunl0 device also decapsulates protocol 4 when up.</summary>
    public const int KernelTunnelAlsoReceives = 4408;

    /// <summary>A dual-stack network: IPv4 is carried, IPv6 pods get no route (flannel's ipip is IPv4 only).</summary>
    public const int IPv6NotCarried = 4409;

    /// <summary>A peer was added to or removed from the user-space engine's peer table.</summary>
    public const int PeerTableChanged = 4410;

    /// <summary>The network was shut down (user space: engine stopped, TUN closed).</summary>
    public const int NetworkStopped = 4411;

    /// <summary>An address of the overlay network other than the subnet's /32 was removed from the device.</summary>
    public const int AddressRemoved = 4412;
}
