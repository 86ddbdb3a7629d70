using System.Text.Json;
using System.Text.Json.Serialization;

namespace Overlay.Backends.IPIP;

/// <summary>
/// The <c>Backend</c> object of net-conf.json when <c>Type</c> is <c>ipip</c>. flannel's only
/// member is <c>DirectRouting</c>; <see cref="CheckSenderAddress"/> is ours and applies to the user-space data path
/// (flanneld ignores unknown members, so one document serves both). Members match case-insensitively, absent or
/// <c>null</c> keeps the default, a wrong JSON type is an error naming the member, and unknown members are kept for a
/// loss-free round trip.
/// </summary>
public sealed record IPIPBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "ipip";

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>
    /// Route directly (via the peer's public address on the external interface, no encapsulation) to peers the
    /// kernel's route lookup finds on-link; encapsulate to the others (default <see langword="false"/>).
    /// </summary>
    public bool DirectRouting { get; set; }

    /// <summary>
    /// User-space data path only: deliver a packet only when its outer source address is the underlay address of the
    /// peer whose subnet holds the inner source address (default <see langword="true"/>; the kernel's ipip device
    /// checks neither). Set <see langword="false"/> when peers are behind NAT: the inner source must then still lie
    /// in some peer's subnet.
    /// </summary>
    public bool CheckSenderAddress { get; set; } = true;

    // The members have setters: the source-generated deserializer assigns init-only members through an object
    // initializer and would reset absent ones to default(T) instead of keeping the defaults above.

    /// <summary>Members we do not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses the raw <c>Backend</c> JSON with flannel's rules.</summary>
    /// <param name="backend">The <c>Backend</c> member; null means all defaults.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="BackendConfigException">The JSON does not fit (the message names the member).</exception>
    public static IPIPBackendConfig Parse(JsonElement? backend) =>
        BackendConfigParser.Parse(TypeName, backend, IPIPJsonContext.Default.IPIPBackendConfig);

    /// <summary>Writes the configuration as JSON (unknown members included).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, IPIPJsonContext.Default.IPIPBackendConfig);
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IPIPBackendConfig))]
internal sealed partial class IPIPJsonContext : JsonSerializerContext;
