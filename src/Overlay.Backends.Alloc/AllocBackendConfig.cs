using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace Overlay.Backends.Alloc;

/// <summary>The <c>Backend</c> object when <c>Type</c> is <c>alloc</c>: no members.</summary>
public sealed record AllocBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "alloc";

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>Members we do not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses the raw <c>Backend</c> JSON with flannel's rules.</summary>
    /// <exception cref="BackendConfigException">The JSON does not fit.</exception>
    public static AllocBackendConfig Parse(JsonElement? backend) =>
        BackendConfigParser.Parse(TypeName, backend, AllocJsonContext.Default.AllocBackendConfig);
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AllocBackendConfig))]
internal sealed partial class AllocJsonContext : JsonSerializerContext;
