using System.Text.Json;
using System.Text.Json.Serialization;

namespace Overlay.Backends.Udp;

/// <summary>
/// The <c>Backend</c> object of net-conf.json when <c>Type</c> is <c>udp</c>. flannel's
/// only member is <c>Port</c>; <see cref="CheckSenderAddress"/> is ours (flanneld ignores unknown members, so one
/// document serves both). Members match case-insensitively, absent or <c>null</c> keeps the default, a wrong JSON
/// type is an error naming the member, and unknown members are kept for a loss-free round trip.
/// </summary>
public sealed record UdpBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "udp";

    /// <summary>flannel's default UDP port.</summary>
    public const int DefaultPort = 8285;

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>
    /// The UDP port (default 8285), 1–65535: the local port and the destination port of every peer (flannel
    /// does not publish ports, so all nodes must agree).
    /// </summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>
    /// Deliver a datagram only when its outer source address is the underlay address of the peer whose subnet
    /// holds the inner source address (default <see langword="true"/>; flannel checks nothing). Set
    /// <see langword="false"/> when peers are behind NAT: the inner source must then still lie in some peer's subnet.
    /// </summary>
    public bool CheckSenderAddress { get; set; } = true;

    // Port and CheckSenderAddress have setters: the source-generated deserializer assigns init-only members through
    // an object initializer and would reset absent ones to default(T) instead of keeping the defaults above.

    /// <summary>Members we do not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses and validates the raw <c>Backend</c> JSON with flannel's rules.</summary>
    /// <param name="backend">The <c>Backend</c> member; null means all defaults.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="BackendConfigException">The JSON does not fit, or <see cref="Port"/> is outside 1–65535.</exception>
    public static UdpBackendConfig Parse(JsonElement? backend)
    {
        UdpBackendConfig config = BackendConfigParser.Parse(TypeName, backend, UdpJsonContext.Default.UdpBackendConfig);
        config.Validate();
        return config;
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="BackendConfigException"><see cref="Port"/> is outside 1–65535.</exception>
    public void Validate()
    {
        if (Port is < 1 or > ushort.MaxValue)
        {
            throw new BackendConfigException(TypeName, "Backend.Port", $"must be a UDP port from 1 to 65535, not {Port}");
        }
    }

    /// <summary>Writes the configuration as JSON (unknown members included).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, UdpJsonContext.Default.UdpBackendConfig);
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UdpBackendConfig))]
internal sealed partial class UdpJsonContext : JsonSerializerContext;
