using System.Text.Json;
using System.Text.Json.Serialization;

namespace Overlay.Backends.HostGw;

/// <summary>The <c>Backend</c> object of net-conf.json when <c>Type</c> is <c>host-gw</c>. flannel's
/// host-gw has no members on Linux; unknown members (Windows' <c>Name</c>, <c>DNSServerList</c>) are
/// kept for a loss-free round trip and ignored.</summary>
public sealed record HostGwBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "host-gw";

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>Members we do not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses the raw <c>Backend</c> JSON with flannel's rules.</summary>
    /// <exception cref="BackendConfigException">The JSON does not fit.</exception>
    public static HostGwBackendConfig Parse(JsonElement? backend) =>
        BackendConfigParser.Parse(TypeName, backend, HostGwJsonContext.Default.HostGwBackendConfig);
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HostGwBackendConfig))]
internal sealed partial class HostGwJsonContext : JsonSerializerContext;
