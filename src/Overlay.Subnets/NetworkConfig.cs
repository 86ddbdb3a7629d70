using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets;

/// <summary>
/// flannel's network configuration document (<c>net-conf.json</c>, or the value of
/// <c>&lt;prefix&gt;/config</c> in etcd). <see cref="Parse(string, ILogger?)"/> reads it with flannel's
/// rules (member names case-insensitive, unknown members ignored, host bits of networks masked);
/// <see cref="Validate"/> applies flannel's <c>CheckNetworkConfig</c>: it derives
/// <see cref="SubnetLen"/>, <see cref="SubnetMin"/> and <see cref="SubnetMax"/> (and the IPv6
/// counterparts) and enforces the rules, with flannel's error texts.
/// </summary>
/// <remarks>A wire record: immutable, and <see cref="ToJson"/> writes the canonical member
/// spellings, so <c>Parse(c.ToJson()) == c</c>.</remarks>
public sealed record NetworkConfig
{
    /// <summary>The backend type used when the document has no <c>Backend</c> member (flannel's
    /// actual behaviour; its documentation wrongly says vxlan).</summary>
    public const string DefaultBackendType = "udp";

    /// <summary>The IPv4 overlay network (host bits masked); <see langword="null"/> when absent.</summary>
    public IPNetwork? Network { get; init; }

    /// <summary>The IPv6 overlay network (host bits masked); <see langword="null"/> when absent.</summary>
    public IPNetwork? IPv6Network { get; init; }

    /// <summary>IPv4 overlay on or off (default on).</summary>
    public bool EnableIPv4 { get; init; } = true;

    /// <summary>IPv6 overlay on or off (default off). Both on means dual stack.</summary>
    public bool EnableIPv6 { get; init; }

    /// <summary>Use nftables rather than iptables for masquerade and forward rules.</summary>
    public bool EnableNFTables { get; init; }

    /// <summary>Prefix length of each node's IPv4 subnet; 0 until derived by <see cref="Validate"/>.</summary>
    public int SubnetLen { get; init; }

    /// <summary>Lowest allocatable IPv4 subnet address; <see langword="null"/> until derived.</summary>
    public IPAddress? SubnetMin { get; init; }

    /// <summary>Highest allocatable IPv4 subnet address (inclusive); <see langword="null"/> until derived.</summary>
    public IPAddress? SubnetMax { get; init; }

    /// <summary>Prefix length of each node's IPv6 subnet; 0 until derived.</summary>
    public int IPv6SubnetLen { get; init; }

    /// <summary>Lowest allocatable IPv6 subnet address; <see langword="null"/> until derived.</summary>
    public IPAddress? IPv6SubnetMin { get; init; }

    /// <summary>Highest allocatable IPv6 subnet address (inclusive); <see langword="null"/> until derived.</summary>
    public IPAddress? IPv6SubnetMax { get; init; }

    /// <summary>The <c>Backend</c> member as raw JSON, handed unchanged to the backend;
    /// <see langword="null"/> when the member is absent.</summary>
    public JsonElement? Backend { get; init; }

    /// <summary>The backend's <c>Type</c>: <c>udp</c> when <see cref="Backend"/> is absent, empty when
    /// <c>Backend</c> is <c>null</c> or has no <c>Type</c> (flannel then fails with "unknown backend type").</summary>
    public string BackendType { get; init; } = DefaultBackendType;

    /// <summary>True when the document has no <c>Backend</c> member and <see cref="BackendType"/> was
    /// defaulted to <see cref="DefaultBackendType"/>.</summary>
    public bool IsBackendDefaulted => Backend is null;

    /// <summary>The number of subnets that <see cref="SubnetMin"/>..<see cref="SubnetMax"/> spans
    /// (after <see cref="Validate"/>), or 0 when IPv4 is off or the range is inverted.</summary>
    public UInt128 SubnetCount => EnableIPv4 && SubnetMin is not null && SubnetMax is not null && SubnetLen > 0
        ? CountSubnets(SubnetMin, SubnetMax, SubnetLen)
        : UInt128.Zero;

    /// <summary>Parses a document from text. See <see cref="Parse(ReadOnlySpan{byte}, ILogger?)"/>.</summary>
    /// <exception cref="NetworkConfigException">The document is not valid.</exception>
    public static NetworkConfig Parse(string json, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json), logger);
    }

    /// <summary>
    /// Parses a document from UTF-8 JSON with flannel's (Go <c>encoding/json</c>) rules: member names
    /// match case-insensitively and the last of duplicates wins, unknown members are ignored,
    /// <c>null</c> keeps a boolean or number at its default, networks have their host bits masked.
    /// No defaults are derived: call <see cref="Validate"/> for that. An absent <c>Backend</c> means
    /// <c>udp</c>, with a warning through <paramref name="logger"/>.
    /// </summary>
    /// <exception cref="NetworkConfigException">The document is not valid JSON, not an object, or a member
    /// has the wrong type or an unparsable value; the exception names the member.</exception>
    public static NetworkConfig Parse(ReadOnlySpan<byte> utf8Json, ILogger? logger = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new NetworkConfigException(null, $"not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new NetworkConfigException(null, $"the document must be a JSON object, not {Describe(root.ValueKind)}");
            }

            var config = new NetworkConfig();
            foreach (JsonProperty member in root.EnumerateObject())
            {
                config = ApplyMember(config, member);
            }

            if (config.IsBackendDefaulted && logger is not null)
            {
                Log.BackendDefaulted(logger, DefaultBackendType);
            }

            return config;
        }
    }

    /// <summary>
    /// Applies flannel's <c>CheckNetworkConfig</c>: checks the members of every enabled family and
    /// derives the missing subnet length and range, returning the completed configuration.
    /// </summary>
    /// <exception cref="NetworkConfigException">A rule is violated (flannel's message, naming the member).</exception>
    public NetworkConfig Validate()
    {
        if (!EnableIPv4 && !EnableIPv6)
        {
            throw new NetworkConfigException(nameof(EnableIPv4), "neither IPv4 nor IPv6 is enabled (none defined stack)");
        }

        NetworkConfig result = this;
        if (EnableIPv4)
        {
            var (len, min, max) = CheckFamily(
                Network, SubnetLen, SubnetMin, SubnetMax, AddressFamily.InterNetwork,
                networkMember: nameof(Network), lenMember: nameof(SubnetLen), minMember: nameof(SubnetMin), maxMember: nameof(SubnetMax));
            result = result with { SubnetLen = len, SubnetMin = min, SubnetMax = max };
        }

        if (EnableIPv6)
        {
            var (len, min, max) = CheckFamily(
                IPv6Network, IPv6SubnetLen, IPv6SubnetMin, IPv6SubnetMax, AddressFamily.InterNetworkV6,
                networkMember: nameof(IPv6Network), lenMember: nameof(IPv6SubnetLen), minMember: nameof(IPv6SubnetMin), maxMember: nameof(IPv6SubnetMax));
            result = result with { IPv6SubnetLen = len, IPv6SubnetMin = min, IPv6SubnetMax = max };
        }

        return result;
    }

    /// <summary>Writes the document as compact JSON with flannel's canonical member spellings;
    /// members at their default are omitted, so parsing the result gives an equal configuration.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (Network is { } network)
            {
                writer.WriteString(nameof(Network), IPAddressText.Format(network));
            }

            if (IPv6Network is { } ipv6Network)
            {
                writer.WriteString(nameof(IPv6Network), IPAddressText.Format(ipv6Network));
            }

            if (!EnableIPv4)
            {
                writer.WriteBoolean(nameof(EnableIPv4), false);
            }

            if (EnableIPv6)
            {
                writer.WriteBoolean(nameof(EnableIPv6), true);
            }

            if (EnableNFTables)
            {
                writer.WriteBoolean(nameof(EnableNFTables), true);
            }

            WriteIfSet(writer, nameof(SubnetLen), SubnetLen);
            WriteIfSet(writer, nameof(SubnetMin), SubnetMin);
            WriteIfSet(writer, nameof(SubnetMax), SubnetMax);
            WriteIfSet(writer, nameof(IPv6SubnetLen), IPv6SubnetLen);
            WriteIfSet(writer, nameof(IPv6SubnetMin), IPv6SubnetMin);
            WriteIfSet(writer, nameof(IPv6SubnetMax), IPv6SubnetMax);
            writer.Flush();
            if (Backend is { } backend)
            {
                writer.WritePropertyName(nameof(Backend));
                writer.WriteRawValue(GoJson.Compact(backend), skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc />
    public bool Equals(NetworkConfig? other) =>
        other is not null
        && Network == other.Network
        && IPv6Network == other.IPv6Network
        && EnableIPv4 == other.EnableIPv4
        && EnableIPv6 == other.EnableIPv6
        && EnableNFTables == other.EnableNFTables
        && SubnetLen == other.SubnetLen
        && Equals(SubnetMin, other.SubnetMin)
        && Equals(SubnetMax, other.SubnetMax)
        && IPv6SubnetLen == other.IPv6SubnetLen
        && Equals(IPv6SubnetMin, other.IPv6SubnetMin)
        && Equals(IPv6SubnetMax, other.IPv6SubnetMax)
        && GoJson.RawEquals(Backend, other.Backend)
        && BackendType == other.BackendType;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Network, IPv6Network, EnableIPv4, EnableIPv6, SubnetLen, IPv6SubnetLen, BackendType);

    private static void WriteIfSet(Utf8JsonWriter writer, string name, int value)
    {
        if (value != 0)
        {
            writer.WriteNumber(name, value);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, IPAddress? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, IPAddressText.Format(value));
        }
    }

    private static NetworkConfig ApplyMember(NetworkConfig config, JsonProperty member)
    {
        JsonElement value = member.Value;
        switch (member.Name.ToUpperInvariant())
        {
            case "NETWORK":
                return config with { Network = ReadNetwork(value, nameof(Network), AddressFamily.InterNetwork) };
            case "IPV6NETWORK":
                return config with { IPv6Network = ReadNetwork(value, nameof(IPv6Network), AddressFamily.InterNetworkV6) };
            case "ENABLEIPV4":
                return config with { EnableIPv4 = ReadBoolean(value, nameof(EnableIPv4), config.EnableIPv4) };
            case "ENABLEIPV6":
                return config with { EnableIPv6 = ReadBoolean(value, nameof(EnableIPv6), config.EnableIPv6) };
            case "ENABLENFTABLES":
                return config with { EnableNFTables = ReadBoolean(value, nameof(EnableNFTables), config.EnableNFTables) };
            case "SUBNETLEN":
                return config with { SubnetLen = ReadPrefixLength(value, nameof(SubnetLen), config.SubnetLen) };
            case "IPV6SUBNETLEN":
                return config with { IPv6SubnetLen = ReadPrefixLength(value, nameof(IPv6SubnetLen), config.IPv6SubnetLen) };
            case "SUBNETMIN":
                return config with { SubnetMin = ReadIPv4Bound(value, nameof(SubnetMin)) };
            case "SUBNETMAX":
                return config with { SubnetMax = ReadIPv4Bound(value, nameof(SubnetMax)) };
            case "IPV6SUBNETMIN":
                return config with { IPv6SubnetMin = ReadIPv6Bound(value, nameof(IPv6SubnetMin)) };
            case "IPV6SUBNETMAX":
                return config with { IPv6SubnetMax = ReadIPv6Bound(value, nameof(IPv6SubnetMax)) };
            case "BACKEND":
                return config with { Backend = value.Clone(), BackendType = ReadBackendType(value) };
            default:
                return config; // unknown members are ignored, as Go does
        }
    }

    private static IPNetwork ReadNetwork(JsonElement value, string member, AddressFamily family)
    {
        string family4or6 = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new NetworkConfigException(member, $"must be an {family4or6} network in CIDR notation as a JSON string, not {Describe(value.ValueKind)}");
        }

        string text = value.GetString()!;
        if (!IPAddressText.TryParseCidr(text, family, out IPNetwork network))
        {
            throw new NetworkConfigException(member, $"'{text}' is not an {family4or6} network in CIDR notation");
        }

        return network;
    }

    private static bool ReadBoolean(JsonElement value, string member, bool current) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => current,
        _ => throw new NetworkConfigException(member, $"must be true or false, not {Describe(value.ValueKind)}"),
    };

    private static int ReadPrefixLength(JsonElement value, string member, int current)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return current;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetUInt32(out uint length) || value.GetRawText().AsSpan().IndexOfAny(".eE") >= 0)
        {
            throw new NetworkConfigException(member, $"must be a non-negative integer, not {(value.ValueKind == JsonValueKind.Number ? value.GetRawText() : Describe(value.ValueKind))}");
        }

        if (length > 128)
        {
            throw new NetworkConfigException(member, $"{length} is not a prefix length");
        }

        return (int)length;
    }

    private static IPAddress? ReadIPv4Bound(JsonElement value, string member)
    {
        // flannel's ip.IP4 strips the quotes and parses the rest; null and numbers are errors.
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new NetworkConfigException(member, $"must be an IPv4 address as a JSON string, not {Describe(value.ValueKind)}");
        }

        string text = value.GetString()!;
        if (!IPAddressText.TryParse(text, out IPAddress? address))
        {
            throw new NetworkConfigException(member, $"'{text}' is not an IPv4 address");
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (!address.IsIPv4MappedToIPv6)
            {
                throw new NetworkConfigException(member, $"'{text}' is not an IPv4 address");
            }

            address = address.MapToIPv4();
        }

        // 0.0.0.0 is indistinguishable from "unset" in flannel.
        return address.Equals(IPAddress.Any) ? null : address;
    }

    private static IPAddress? ReadIPv6Bound(JsonElement value, string member)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null; // pointer member: null leaves it unset
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new NetworkConfigException(member, $"must be an IPv6 address as a JSON string, not {Describe(value.ValueKind)}");
        }

        string text = value.GetString()!;
        if (!IPAddressText.TryParseIPv6(text, out IPAddress? address))
        {
            throw new NetworkConfigException(member, $"'{text}' is not an IPv6 address");
        }

        return address.Equals(IPAddress.IPv6Any) ? null : address;
    }

    private static string ReadBackendType(JsonElement backend)
    {
        switch (backend.ValueKind)
        {
            case JsonValueKind.Null:
                return string.Empty;
            case JsonValueKind.Object:
                string type = string.Empty;
                foreach (JsonProperty member in backend.EnumerateObject())
                {
                    if (!member.Name.Equals("Type", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    type = member.Value.ValueKind switch
                    {
                        JsonValueKind.String => member.Value.GetString()!,
                        JsonValueKind.Null => type,
                        _ => throw new NetworkConfigException("Backend.Type", $"must be a string, not {Describe(member.Value.ValueKind)}"),
                    };
                }

                return type;
            default:
                throw new NetworkConfigException(nameof(Backend), $"must be a JSON object, not {Describe(backend.ValueKind)}");
        }
    }

    private static (int Length, IPAddress Min, IPAddress Max) CheckFamily(
        IPNetwork? network, int subnetLen, IPAddress? min, IPAddress? max, AddressFamily family,
        string networkMember, string lenMember, string minMember, string maxMember)
    {
        bool v4 = family == AddressFamily.InterNetwork;
        int bits = AddressMath.BitCount(family);
        if (network is not { } net || (net.PrefixLength == 0 && AddressMath.ToUInt128(net.BaseAddress) == 0))
        {
            throw new NetworkConfigException(networkMember, $"please define a correct {networkMember} parameter in the flannel config");
        }

        if (!v4 && IPAddressText.IsPrintedDottedByFlannel(net.BaseAddress))
        {
            throw new NetworkConfigException(networkMember, $"{IPAddressText.Format(net)} cannot be used: flannel prints addresses of this network as IPv4, so its subnet keys would not parse");
        }

        int prefix = net.PrefixLength;
        if (subnetLen > 0)
        {
            if (subnetLen > bits - 2)
            {
                throw new NetworkConfigException(lenMember, $"SubnetLen must be less than /{bits - 1}");
            }

            if (subnetLen < prefix + 2)
            {
                throw new NetworkConfigException(lenMember, "network must be able to accommodate at least four subnets");
            }
        }
        else if (prefix > bits - 4)
        {
            throw new NetworkConfigException(networkMember, v4
                ? "network is too small. Minimum useful network prefix is /28"
                : "IPv6Network is too small. Minimum useful network prefix is /124");
        }
        else
        {
            int standard = v4 ? 24 : 64;
            subnetLen = prefix <= standard - 2 ? standard : prefix + 2;
        }

        UInt128 size = AddressMath.BlockSize(family, subnetLen);
        UInt128 first = AddressMath.ToUInt128(net.BaseAddress);
        UInt128 widthMask = v4 ? uint.MaxValue : UInt128.MaxValue;
        string networkText = v4 ? "Network" : "IPv6Network";
        if (min is null)
        {
            min = AddressMath.ToAddress((first + size) & widthMask, family);
        }
        else if (!net.Contains(min))
        {
            throw new NetworkConfigException(minMember, $"{minMember} is not in the range of the {networkText}");
        }

        if (max is null)
        {
            UInt128 next = (first + AddressMath.BlockSize(family, prefix)) & widthMask; // wraps for 255.255.0.0/16
            max = AddressMath.ToAddress((next - size) & widthMask, family);
        }
        else if (!net.Contains(max))
        {
            throw new NetworkConfigException(maxMember, $"{maxMember} is not in the range of the {networkText}");
        }

        UInt128 alignment = size - 1;
        if ((AddressMath.ToUInt128(min) & alignment) != 0)
        {
            throw new NetworkConfigException(minMember, $"{minMember} is not on a SubnetLen boundary: {IPAddressText.Format(min)}");
        }

        if ((AddressMath.ToUInt128(max) & alignment) != 0)
        {
            throw new NetworkConfigException(maxMember, $"{maxMember} is not on a SubnetLen boundary: {IPAddressText.Format(max)}");
        }

        return (subnetLen, min, max);
    }

    internal static UInt128 CountSubnets(IPAddress min, IPAddress max, int subnetLen)
    {
        UInt128 lo = AddressMath.ToUInt128(min);
        UInt128 hi = AddressMath.ToUInt128(max);
        return hi < lo ? UInt128.Zero : ((hi - lo) >> (AddressMath.BitCount(min.AddressFamily) - subnetLen)) + 1;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
