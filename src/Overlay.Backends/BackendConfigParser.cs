using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Overlay.Backends;

/// <summary>
/// Reads a backend's typed configuration from the raw <c>Backend</c> JSON with flannel's (Go
/// <c>encoding/json</c>) rules: member names case-insensitive, unknown members ignored, absent or
/// <c>null</c> keeps the default, a type mismatch is an error naming the member. Backends pass their
/// source-generated <see cref="JsonTypeInfo{T}"/> (AOT-safe) with case-insensitive matching on.
/// </summary>
public static class BackendConfigParser
{
    /// <summary>Parses <paramref name="backend"/> (null or absent means "all defaults").</summary>
    /// <exception cref="BackendConfigException">The JSON does not fit the configuration type.</exception>
    public static T Parse<T>(string backendType, JsonElement? backend, JsonTypeInfo<T> typeInfo) where T : new()
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (backend is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return new T();
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new BackendConfigException(backendType, "Backend", $"must be a JSON object, not {element.ValueKind}");
        }

        try
        {
            return WithoutNullValueTypeMembers(element, typeInfo).Deserialize(typeInfo) ?? new T();
        }
        catch (JsonException ex)
        {
            string? path = ex.Path is { Length: > 1 } p ? "Backend" + p.TrimStart('$') : null;
            throw new BackendConfigException(backendType, path, "the value has the wrong type or is out of range", ex);
        }
    }

    /// <summary>Go keeps a value-type member's default when the JSON says <c>null</c>; System.Text.Json would fail,
    /// so <c>null</c> members that name a non-nullable value-type property are left out before deserializing.</summary>
    private static JsonElement WithoutNullValueTypeMembers<T>(JsonElement element, JsonTypeInfo<T> typeInfo)
    {
        bool KeepsDefault(JsonProperty member) => member.Value.ValueKind == JsonValueKind.Null
            && typeInfo.Properties.Any(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase)
                && p.PropertyType.IsValueType && Nullable.GetUnderlyingType(p.PropertyType) is null);

        if (!element.EnumerateObject().Any(KeepsDefault))
        {
            return element;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (JsonProperty member in element.EnumerateObject())
            {
                if (!KeepsDefault(member))
                {
                    member.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
