using System.Text.Json;
using System.Text.Json.Serialization;

namespace Overlay.Backends.Vxlan;

/// <summary>
/// The <c>Backend</c> object of net-conf.json when <c>Type</c> is <c>vxlan</c>, decoded with
/// flannel's (Go <c>encoding/json</c>) rules: member names case-insensitive, absent or <c>null</c>
/// keeps the default, a type mismatch is an error naming the member, unknown members are kept for a
/// loss-free round trip. The Windows-only members <c>MacPrefix</c> and <c>Name</c> are accepted as
/// Linux flanneld accepts them and reported by <see cref="GetWarnings"/>.
/// </summary>
public sealed record VxlanBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "vxlan";

    /// <summary>The default VNI (Linux).</summary>
    public const int DefaultVni = 1;

    /// <summary>The UDP port the kernel uses when none is sent (the vxlan module's <c>udp_port</c>).</summary>
    public const int KernelDefaultPort = 8472;

    /// <summary>The largest VNI (24 bits).</summary>
    public const int MaxVni = 0xFF_FFFF;

    /// <summary>Encapsulation overhead over an IPv4 underlay: IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14.</summary>
    public const int IPv4Overhead = 50;

    /// <summary>Encapsulation overhead over an IPv6 underlay: IPv6 40 + UDP 8 + VXLAN 8 + inner Ethernet 14.</summary>
    public const int IPv6Overhead = 70;

    private static readonly string[] WindowsOnlyMembers = ["MacPrefix", "Name"];

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>The VXLAN network identifier; null means <see cref="DefaultVni"/>.</summary>
    [JsonPropertyName("VNI")]
    public int? Vni { get; init; }

    /// <summary>The UDP destination port; null or 0 means the kernel default (8472), which is then not sent.</summary>
    public int? Port { get; init; }

    /// <summary>The underlay MTU; null means the external interface's MTU. Device MTU = this − overhead.</summary>
    [JsonPropertyName("MTU")]
    public int? Mtu { get; init; }

    /// <summary>The VXLAN Group Based Policy extension on the device.</summary>
    [JsonPropertyName("GBP")]
    public bool? Gbp { get; init; }

    /// <summary>Kernel MAC learning on the device (default off).</summary>
    public bool? Learning { get; init; }

    /// <summary>Plain routes to peers that are directly reachable (decided per peer).</summary>
    public bool? DirectRouting { get; init; }

    /// <summary>Members we do not model (including the Windows-only ones); written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses the raw <c>Backend</c> JSON with flannel's rules (null: all defaults).</summary>
    /// <exception cref="BackendConfigException">A member has the wrong type; the message names it.</exception>
    public static VxlanBackendConfig Parse(JsonElement? backend) =>
        BackendConfigParser.Parse(TypeName, backend, VxlanJsonContext.Default.VxlanBackendConfig);

    /// <summary>Serialises the configuration (unknown members included) as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, VxlanJsonContext.Default.VxlanBackendConfig);

    /// <summary>
    /// What the configuration says that Linux ignores: each Windows-only member (<c>MacPrefix</c>,
    /// <c>Name</c>) and each unknown member (often a mis-spelt option such as <c>DirectRoute</c>),
    /// one message per member, naming it.
    /// </summary>
    public IReadOnlyList<string> GetWarnings()
    {
        var warnings = new List<string>();
        foreach (string name in AdditionalMembers?.Keys ?? Enumerable.Empty<string>())
        {
            if (string.Equals(name, nameof(Type), StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string? windows = WindowsOnlyMembers.FirstOrDefault(w => string.Equals(w, name, StringComparison.OrdinalIgnoreCase));
            warnings.Add(windows is not null
                ? $"Backend.{name} applies to Windows nodes only and is ignored on Linux."
                : $"Backend.{name} is not a vxlan option and is ignored (the options are VNI, Port, MTU, GBP, Learning, DirectRouting).");
        }

        return warnings;
    }

    /// <summary>
    /// Validates the configuration and produces the settings the backend uses.
    /// </summary>
    /// <param name="underlayMtu">The external interface's MTU (used when <see cref="Mtu"/> is not set).</param>
    /// <param name="ipv6Overlay">True when IPv6 is enabled: the IPv6 device's MTU must then be at least 1280.</param>
    /// <exception cref="BackendConfigException">A value is out of range; the message names the member.</exception>
    public VxlanSettings Resolve(int underlayMtu, bool ipv6Overlay = false)
    {
        int vni = Vni ?? DefaultVni;
        if (vni is < 0 or > MaxVni)
        {
            throw new BackendConfigException(TypeName, "Backend.VNI", $"{vni} is outside 0-{MaxVni} (VXLAN network identifiers have 24 bits)");
        }

        int port = Port ?? 0;
        if (port is < 0 or > ushort.MaxValue)
        {
            throw new BackendConfigException(TypeName, "Backend.Port", $"{port} is not a UDP port (0 = kernel default {KernelDefaultPort}, or 1-65535)");
        }

        int mtu = Mtu is null or 0 ? underlayMtu : Mtu.Value;
        string mtuSource = Mtu is null or 0 ? "the external interface's MTU" : "Backend.MTU";
        if (mtu is < 68 + IPv4Overhead or > 65535)
        {
            throw new BackendConfigException(TypeName, Mtu is null or 0 ? null : "Backend.MTU",
                $"{mtuSource} {mtu} leaves no usable device MTU (needs {68 + IPv4Overhead}-65535: the device MTU is the underlay MTU minus {IPv4Overhead})");
        }

        if (ipv6Overlay && mtu - IPv6Overhead < 1280)
        {
            throw new BackendConfigException(TypeName, Mtu is null or 0 ? null : "Backend.MTU",
                $"{mtuSource} {mtu} gives the IPv6 device an MTU of {mtu - IPv6Overhead}, below IPv6's minimum 1280 (needs at least {1280 + IPv6Overhead})");
        }

        return new VxlanSettings(vni, port == 0 ? null : (ushort)port, mtu, Gbp ?? false, Learning ?? false, DirectRouting ?? false);
    }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VxlanBackendConfig))]
internal sealed partial class VxlanJsonContext : JsonSerializerContext;
