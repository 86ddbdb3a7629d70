using System.Text.Json;
using System.Text.Json.Serialization;

namespace Overlay.Backends.AwsVpc;

/// <summary>The <c>Backend</c> object of net-conf.json when <c>Type</c> is <c>aws-vpc</c>.</summary>
public sealed record AwsVpcBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "aws-vpc";

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>
    /// <c>RouteTableID</c>: a route table id, or an array of them (flannel's rules: anything else is an
    /// error); absent or null: the table associated with the node's subnet, else the VPC's main table.
    /// </summary>
    [JsonPropertyName("RouteTableID")]
    public JsonElement? RouteTableId { get; init; }

    /// <summary>Members we do not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses the raw <c>Backend</c> JSON with flannel's rules.</summary>
    /// <param name="backend">The <c>Backend</c> object.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="BackendConfigException">The JSON does not fit; the message names the member.</exception>
    public static AwsVpcBackendConfig Parse(JsonElement? backend)
    {
        AwsVpcBackendConfig config = BackendConfigParser.Parse(TypeName, backend, AwsVpcJsonContext.Default.AwsVpcBackendConfig);
        _ = config.RouteTableIds;
        return config;
    }

    /// <summary>The configured route tables (empty: discover), checked with flannel's rules.</summary>
    /// <exception cref="BackendConfigException">RouteTableID is neither a string nor an array of strings, or an id is empty.</exception>
    [JsonIgnore]
    public IReadOnlyList<string> RouteTableIds
    {
        get
        {
            if (RouteTableId is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                return [];
            }

            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return [NonEmpty(element.GetString(), "Backend.RouteTableID")];
                case JsonValueKind.Array:
                    var tables = new List<string>();
                    int i = 0;
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        string member = $"Backend.RouteTableID[{i++}]";
                        if (item.ValueKind != JsonValueKind.String)
                        {
                            throw new BackendConfigException(TypeName, member, $"must be a string (a route table id), not {item.ValueKind}");
                        }

                        string table = NonEmpty(item.GetString(), member);
                        if (!tables.Contains(table, StringComparer.Ordinal))
                        {
                            tables.Add(table);
                        }
                    }

                    return tables;
                default:
                    throw new BackendConfigException(TypeName, "Backend.RouteTableID", $"must be a string or an array of strings, not {element.ValueKind}");
            }
        }
    }

    private static string NonEmpty(string? value, string member) =>
        string.IsNullOrWhiteSpace(value) ? throw new BackendConfigException(TypeName, member, "must not be empty") : value;
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AwsVpcBackendConfig))]
internal sealed partial class AwsVpcJsonContext : JsonSerializerContext;
