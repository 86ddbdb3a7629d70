using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using k8s.Models;

namespace Overlay.Subnets.Kubernetes.Internal;

/// <summary>flannel's rules between node objects and leases: pod CIDR classification, peer
/// conversion, the annotations a node publishes.</summary>
internal static class NodeLeases
{
    /// <summary>The node's pod CIDRs by family, first of each family; an error text (flanneld's)
    /// when they cannot be classified. Both null when none is assigned.</summary>
    public static (IPNetwork? V4, IPNetwork? V6, string? Error) ClassifyPodCidrs(V1Node node)
    {
        IList<string>? list = node.Spec?.PodCIDRs;
        string[] cidrs = list is { Count: > 0 } ? [.. list] : string.IsNullOrEmpty(node.Spec?.PodCIDR) ? [] : [node.Spec!.PodCIDR];
        if (cidrs.Length > 2)
        {
            return (null, null, "pod cidrs should be IPv4/IPv6 only or dualstack");
        }

        IPNetwork? v4 = null;
        IPNetwork? v6 = null;
        foreach (string text in cidrs)
        {
            if (!IPNetwork.TryParse(text, out IPNetwork cidr) || cidr.BaseAddress.IsIPv4MappedToIPv6)
            {
                return (null, null, $"invalid CIDR address: {text}");
            }

            if (cidr.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            {
                v4 ??= cidr;
            }
            else
            {
                v6 ??= cidr;
            }
        }

        return (v4, v6, null);
    }

    /// <summary>Whether the node is a flannel peer (annotation <c>kube-subnet-manager</c> exactly <c>"true"</c>).</summary>
    public static bool IsFlannelNode(V1Node node, KubernetesAnnotationNames names) =>
        Annotation(node, names.SubnetManager) == "true";

    public static string? Annotation(V1Node node, string name) =>
        node.Metadata?.Annotations is { } annotations && annotations.TryGetValue(name, out string? value) ? value : null;

    /// <summary>flannel's <c>nodeToLease</c>: the lease a peer node stands for, or an error.</summary>
    public static Lease? ToLease(V1Node node, KubernetesAnnotationNames names, bool ipv4, bool ipv6, out string? error)
    {
        error = null;
        var attributes = new LeaseAttributes { BackendType = Annotation(node, names.BackendType) };
        (IPNetwork? v4, IPNetwork? v6, string? cidrError) = ClassifyPodCidrs(node);
        if (cidrError is not null)
        {
            error = cidrError;
            return null;
        }

        IPNetwork? subnet = null;
        IPNetwork? ipv6Subnet = null;
        if (ipv4)
        {
            string text = Annotation(node, names.PublicIP) ?? string.Empty;
            if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetwork)
            {
                error = $"{names.PublicIP} '{text}' is not an IPv4 address";
                return null;
            }

            if (!TryParseData(Annotation(node, names.BackendData), names.BackendData, out JsonElement? data, out error))
            {
                return null;
            }

            if (v4 is null)
            {
                error = "missing IPv4 address on n.Spec.PodCIDRs";
                return null;
            }

            attributes = attributes with { PublicIP = address, BackendData = data };
            subnet = v4;
        }

        if (ipv6)
        {
            string text = Annotation(node, names.PublicIPv6) ?? string.Empty;
            if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"{names.PublicIPv6} '{text}' is not an IPv6 address";
                return null;
            }

            if (!TryParseData(Annotation(node, names.BackendV6Data), names.BackendV6Data, out JsonElement? data, out error))
            {
                return null;
            }

            if (v6 is null)
            {
                error = "missing IPv6 address on n.Spec.PodCIDRs";
                return null;
            }

            attributes = attributes with { PublicIPv6 = address, BackendV6Data = data };
            ipv6Subnet = v6;
        }

        return new Lease(subnet, ipv6Subnet, attributes, null);
    }

    /// <summary>The annotations the node publishes for <paramref name="attributes"/> (flanneld's
    /// <c>AcquireLease</c> rules), given the operator's overwrite annotations on the node.</summary>
    public static Dictionary<string, string> Annotations(LeaseAttributes attributes, V1Node node, KubernetesAnnotationNames names)
    {
        string type = attributes.BackendType ?? string.Empty;
        (string v4Data, string v6Data) = BackendDataTexts(attributes);
        var result = new Dictionary<string, string>(StringComparer.Ordinal) { [names.BackendType] = type };
        if (!(type == "vxlan" && v4Data == "null"))
        {
            result[names.BackendData] = v4Data;
            result[names.PublicIP] = NonEmpty(Annotation(node, names.PublicIPOverwrite)) ?? (attributes.PublicIP ?? IPAddress.Any).ToString(); // flannel writes 0.0.0.0 for none
        }

        bool hasV6 = attributes.PublicIPv6 is not null;
        bool writeV6 = type switch
        {
            "vxlan" => v6Data != "null",
            "wireguard" => v6Data != "null" && hasV6,
            "host-gw" or "extension" => hasV6,
            _ => false,
        };
        if (writeV6)
        {
            result[names.BackendV6Data] = v6Data;
            result[names.PublicIPv6] = NonEmpty(Annotation(node, names.PublicIPv6Overwrite)) ?? attributes.PublicIPv6?.ToString() ?? string.Empty;
        }

        result[names.SubnetManager] = "true";
        return result;
    }

    /// <summary>The backend data as flanneld marshals it: Go's compact JSON (members in their
    /// order), or the text <c>null</c>.</summary>
    public static (string V4, string V6) BackendDataTexts(LeaseAttributes attributes)
    {
        using JsonDocument document = JsonDocument.Parse(attributes.ToUtf8Json());
        JsonElement root = document.RootElement;
        return (root.TryGetProperty("BackendData", out JsonElement v4) ? v4.GetRawText() : "null",
            root.TryGetProperty("BackendV6Data", out JsonElement v6) ? v6.GetRawText() : "null");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool TryParseData(string? text, string name, out JsonElement? data, out string? error)
    {
        data = null;
        error = null;
        if (string.IsNullOrEmpty(text) || text == "null")
        {
            return true;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            data = document.RootElement.Clone();
            return true;
        }
        catch (JsonException ex)
        {
            error = $"{name} is not JSON: {ex.Message}";
            return false;
        }
    }
}
