namespace Overlay.Backends.Vxlan;

/// <summary>The resolved vxlan settings.</summary>
/// <param name="Vni">The VNI.</param>
/// <param name="Port">The UDP port to send, or null for the kernel default (8472).</param>
/// <param name="UnderlayMtu">The underlay MTU the device MTUs are derived from.</param>
/// <param name="Gbp">Group Based Policy on the devices.</param>
/// <param name="Learning">MAC learning on the devices.</param>
/// <param name="DirectRouting">Route directly to peers that are on-link.</param>
public sealed record VxlanSettings(int Vni, ushort? Port, int UnderlayMtu, bool Gbp, bool Learning, bool DirectRouting)
{
    /// <summary>The IPv4 device's name, <c>flannel.&lt;VNI&gt;</c>.</summary>
    public string IPv4DeviceName => FormattableString.Invariant($"flannel.{Vni}");

    /// <summary>The IPv6 device's name, <c>flannel-v6.&lt;VNI&gt;</c>.</summary>
    public string IPv6DeviceName => FormattableString.Invariant($"flannel-v6.{Vni}");

    /// <summary>The IPv4 device's MTU (underlay − 50).</summary>
    public int IPv4DeviceMtu => UnderlayMtu - VxlanBackendConfig.IPv4Overhead;

    /// <summary>The IPv6 device's MTU (underlay − 70: the outer header is IPv6).</summary>
    public int IPv6DeviceMtu => UnderlayMtu - VxlanBackendConfig.IPv6Overhead;

    /// <summary>The port on the wire.</summary>
    public int EffectivePort => Port ?? VxlanBackendConfig.KernelDefaultPort;
}
