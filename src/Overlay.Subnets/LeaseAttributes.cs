using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets;

/// <summary>
/// What a node publishes with its lease: flannel's <c>LeaseAttrs</c>, stored as the value of the
/// lease key. <see cref="ToJson"/> writes exactly what flanneld writes, member for member:
/// <c>{"PublicIP":"192.0.2.10","PublicIPv6":null,"BackendType":"vxlan","BackendData":{…}}</c>.
/// </summary>
public sealed record LeaseAttributes
{
    private readonly IPAddress? _publicIP;
    private readonly IPAddress? _publicIPv6;

    /// <summary>The node's public IPv4 address, its identity in the registry; <see langword="null"/> when
    /// the node has none (IPv6-only). flannel stores "none" as <c>"PublicIP":"0.0.0.0"</c>: <see cref="ToJson"/>
    /// writes that, <see cref="Parse"/> reads it (and an absent member) as <see langword="null"/>, and setting
    /// <c>0.0.0.0</c> here is taken as <see langword="null"/> too.</summary>
    /// <exception cref="ArgumentException">The address is not IPv4.</exception>
    public IPAddress? PublicIP
    {
        get => _publicIP;
        init
        {
            if (value is not null && value.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"PublicIP must be an IPv4 address, not '{value}'.", nameof(value));
            }

            _publicIP = value is null || value.Equals(IPAddress.Any) ? null : value;
        }
    }

    /// <summary>The node's public IPv6 address, or <see langword="null"/>.</summary>
    /// <exception cref="ArgumentException">The address is not IPv6.</exception>
    public IPAddress? PublicIPv6
    {
        get => _publicIPv6;
        init
        {
            if (value is not null && value.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw new ArgumentException($"PublicIPv6 must be an IPv6 address, not '{value}'.", nameof(value));
            }

            _publicIPv6 = value;
        }
    }

    /// <summary>The backend type (<c>vxlan</c>, <c>host-gw</c>, …); omitted from the JSON when empty.</summary>
    public string? BackendType { get; init; }

    /// <summary>Backend-specific data for IPv4 (for vxlan <c>{"VNI":1,"VtepMAC":"…"}</c>); opaque here.</summary>
    public JsonElement? BackendData { get; init; }

    /// <summary>Backend-specific data for IPv6; opaque here.</summary>
    public JsonElement? BackendV6Data { get; init; }

    /// <summary>Serialises the attributes as flanneld stores them (compact UTF-8 JSON, Go member
    /// order, <c>PublicIPv6</c> always present, empty members omitted, raw data re-compacted).</summary>
    public byte[] ToUtf8Json()
    {
        var buffer = new List<byte>(128);
        Append(buffer, "{\"PublicIP\":\"");
        Append(buffer, (PublicIP ?? IPAddress.Any).ToString());
        Append(buffer, "\",\"PublicIPv6\":");
        Append(buffer, PublicIPv6 is null ? "null" : "\"" + IPAddressText.Format(PublicIPv6) + "\"");
        if (!string.IsNullOrEmpty(BackendType))
        {
            Append(buffer, ",\"BackendType\":");
            GoJson.AppendString(buffer, BackendType);
        }

        AppendRaw(buffer, "BackendData", BackendData);
        AppendRaw(buffer, "BackendV6Data", BackendV6Data);
        buffer.Add((byte)'}');
        return [.. buffer];
    }

    /// <summary>The same as <see cref="ToUtf8Json"/>, as a string.</summary>
    public string ToJson() => Encoding.UTF8.GetString(ToUtf8Json());

    /// <summary>
    /// Reads a stored value with flanneld's rules: member names case-insensitive, unknown members
    /// ignored, an absent <c>PublicIP</c> or <c>0.0.0.0</c> is <see langword="null"/>, a <c>PublicIP</c> that is not IPv4 is an error.
    /// </summary>
    /// <exception cref="FormatException">The value is not a valid lease value; the message names the member.</exception>
    public static LeaseAttributes Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray());
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Lease value is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("Lease value must be a JSON object.");
            }

            var attributes = new LeaseAttributes();
            foreach (JsonProperty member in document.RootElement.EnumerateObject())
            {
                JsonElement value = member.Value;
                switch (member.Name.ToUpperInvariant())
                {
                    case "PUBLICIP":
                        attributes = attributes with { PublicIP = ReadAddress(value, "PublicIP", AddressFamily.InterNetwork) };
                        break;
                    case "PUBLICIPV6":
                        attributes = attributes with { PublicIPv6 = ReadAddress(value, "PublicIPv6", AddressFamily.InterNetworkV6) };
                        break;
                    case "BACKENDTYPE":
                        attributes = attributes with
                        {
                            BackendType = value.ValueKind switch
                            {
                                JsonValueKind.String => value.GetString(),
                                JsonValueKind.Null => attributes.BackendType,
                                _ => throw new FormatException($"Lease value member 'BackendType' must be a string, not {value.ValueKind}."),
                            },
                        };
                        break;
                    case "BACKENDDATA":
                        attributes = attributes with { BackendData = value.ValueKind == JsonValueKind.Null ? null : value.Clone() };
                        break;
                    case "BACKENDV6DATA":
                        attributes = attributes with { BackendV6Data = value.ValueKind == JsonValueKind.Null ? null : value.Clone() };
                        break;
                    default:
                        break;
                }
            }

            return attributes;
        }
    }

    /// <inheritdoc />
    public bool Equals(LeaseAttributes? other) =>
        other is not null
        && Equals(PublicIP, other.PublicIP)
        && Equals(PublicIPv6, other.PublicIPv6)
        && string.Equals(BackendType ?? string.Empty, other.BackendType ?? string.Empty, StringComparison.Ordinal)
        && GoJson.RawEquals(BackendData, other.BackendData)
        && GoJson.RawEquals(BackendV6Data, other.BackendV6Data);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(PublicIP, PublicIPv6, BackendType ?? string.Empty);

    /// <summary>Returns the stored JSON form.</summary>
    public override string ToString() => ToJson();

    private static IPAddress? ReadAddress(JsonElement value, string member, AddressFamily family)
    {
        if (value.ValueKind == JsonValueKind.Null && family == AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"Lease value member '{member}' must be an address string, not {value.ValueKind}.");
        }

        string text = value.GetString()!;
        IPAddress? address;
        bool ok = family == AddressFamily.InterNetwork
            ? IPAddressText.TryParse(text, out address) && (address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6)
            : IPAddressText.TryParseIPv6(text, out address);
        if (!ok)
        {
            throw new FormatException($"Lease value member '{member}' is not an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address: '{text}'.");
        }

        return address!.IsIPv4MappedToIPv6 && family == AddressFamily.InterNetwork ? address.MapToIPv4() : address;
    }

    private static void Append(List<byte> buffer, string ascii)
    {
        foreach (char c in ascii)
        {
            buffer.Add((byte)c);
        }
    }

    private static void AppendRaw(List<byte> buffer, string name, JsonElement? value)
    {
        if (value is { } element)
        {
            Append(buffer, ",\"" + name + "\":");
            buffer.AddRange(GoJson.Compact(element));
        }
    }
}
