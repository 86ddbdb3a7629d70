using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Overlay.Netlink;

namespace Overlay.Backends.Vxlan;

/// <summary>
/// A vxlan lease's <c>BackendData</c> / <c>BackendV6Data</c>: <c>{"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"}</c>.
/// <see cref="ToJsonElement"/> writes exactly flanneld's form, <c>VNI</c> first and <c>VtepMAC</c>
/// last (flannel's Kubernetes subnet manager parses the stored MAC by string splitting, so the order
/// is load-bearing); <see cref="TryParse"/> reads with Go's rules (names case-insensitive).
/// </summary>
/// <param name="Vni">The VNI the node uses.</param>
/// <param name="VtepMac">The MAC of the node's vxlan device.</param>
public readonly record struct VxlanLeaseData(int Vni, MacAddress VtepMac)
{
    /// <summary>The compact JSON, member order VNI then VtepMAC, MAC lower-case with colons.</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture, $"{{\"VNI\":{Vni},\"VtepMAC\":\"{VtepMac.ToString().ToLowerInvariant()}\"}}");

    /// <summary>The JSON as an element for <c>LeaseAttributes.BackendData</c>.</summary>
    public JsonElement ToJsonElement()
    {
        using JsonDocument document = JsonDocument.Parse(ToJson());
        return document.RootElement.Clone();
    }

    /// <summary>Reads BackendData; false (with the reason) when it is not a vxlan BackendData.</summary>
    public static bool TryParse(JsonElement? data, out VxlanLeaseData result, out string? error)
    {
        result = default;
        if (data is not { ValueKind: JsonValueKind.Object } element)
        {
            error = data is null ? "no BackendData" : $"BackendData is {data.Value.ValueKind}, not an object";
            return false;
        }

        int vni = 0;
        MacAddress? mac = null;
        foreach (JsonProperty member in element.EnumerateObject())
        {
            if (string.Equals(member.Name, "VNI", StringComparison.OrdinalIgnoreCase))
            {
                if (member.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetInt32(out vni))
                {
                    error = $"BackendData.VNI is not an integer: {member.Value.GetRawText()}";
                    return false;
                }
            }
            else if (string.Equals(member.Name, "VtepMAC", StringComparison.OrdinalIgnoreCase))
            {
                if (member.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (member.Value.ValueKind != JsonValueKind.String || !MacAddress.TryParse(member.Value.GetString(), null, out MacAddress parsed))
                {
                    error = $"BackendData.VtepMAC is not a MAC address: {member.Value.GetRawText()}";
                    return false;
                }

                mac = parsed;
            }
        }

        if (mac is null)
        {
            error = "BackendData has no VtepMAC";
            return false;
        }

        result = new VxlanLeaseData(vni, mac.Value);
        error = null;
        return true;
    }

    /// <summary>
    /// A MAC derived from the node's identity (VNI, family and underlay address): stable across
    /// restarts, reboots and device re-creation, locally administered and unicast
    /// (<c>first byte &amp; 0xFE | 0x02</c>, as flannel's random MACs).
    /// </summary>
    internal static MacAddress StableMac(int vni, string family, string identity)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"overlay-vxlan|{vni}|{family}|{identity}")));
        hash[0] = (byte)((hash[0] & 0xFE) | 0x02);
        return new MacAddress(hash.AsSpan(0, MacAddress.Length));
    }
}
