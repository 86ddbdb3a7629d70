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
            return element.Deserialize(typeInfo) ?? new T();
        }
        catch (JsonException ex)
        {
            string? path = ex.Path is { Length: > 1 } p ? "Backend" + p.TrimStart('$') : null;
            throw new BackendConfigException(backendType, path, "the value has the wrong type or is out of range", ex);
        }
    }
}
