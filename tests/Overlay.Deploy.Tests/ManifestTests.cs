using k8s;
using k8s.Models;

namespace Overlay.Deploy.Tests;

/// <summary>deploy/overlay-agent.yml: typed objects, RBAC exactly flanneld's, the DaemonSet's host network, privileges and mounts.</summary>
public sealed class ManifestTests
{
    private static readonly List<object> Objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "deploy", "overlay-agent.yml")));

    [Fact]
    public void TheManifestHoldsFlannelsObjects()
    {
        Assert.Equal(["V1Namespace", "V1ServiceAccount", "V1ClusterRole", "V1ClusterRoleBinding", "V1ConfigMap", "V1DaemonSet"], Objects.Select(o => o.GetType().Name));
        Assert.Equal("kube-flannel", Objects.OfType<V1Namespace>().Single().Metadata.Name);
        V1ClusterRoleBinding binding = Objects.OfType<V1ClusterRoleBinding>().Single();
        Assert.Equal("flannel", binding.RoleRef.Name);
        Rbacv1Subject subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "flannel", "kube-flannel"), (subject.Kind, subject.Name, subject.NamespaceProperty));
    }

    [Fact]
    public void TheClusterRoleGrantsExactlyTheVerbsTheAgentNeeds()
    {
        V1ClusterRole role = Objects.OfType<V1ClusterRole>().Single();
        var grants = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}|{res}|{v}")))).Order().ToList();
        Assert.Equal(["|nodes/status|patch", "|nodes|get", "|nodes|list", "|nodes|watch", "|pods|get"], grants);
    }

    [Fact]
    public void TheDaemonSetRunsOnTheHostNetworkWithTheMountsAndEnvironmentOfFlannel()
    {
        V1DaemonSet daemonSet = Objects.OfType<V1DaemonSet>().Single();
        V1PodSpec pod = daemonSet.Spec.Template.Spec;
        Assert.True(pod.HostNetwork);
        Assert.Equal("flannel", pod.ServiceAccountName);
        Assert.Contains(pod.Tolerations, t => t.OperatorProperty == "Exists" && t.Effect == "NoSchedule");
        V1Container agent = Assert.Single(pod.Containers);
        Assert.Equal(["run", "--ip-masq", "--kube-subnet-mgr"], agent.Args);
        Assert.Equal(["NET_ADMIN", "NET_RAW"], agent.SecurityContext.Capabilities.Add);
        Assert.Equal(["POD_NAME", "POD_NAMESPACE", "NODE_NAME", "EVENT_QUEUE_DEPTH", "CONT_WHEN_CACHE_NOT_READY"], agent.Env.Select(e => e.Name));
        Assert.Equal("spec.nodeName", agent.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);

        var mounts = agent.VolumeMounts.ToDictionary(m => m.Name, m => m.MountPath);
        Assert.Equal("/run/flannel", mounts["run"]);
        Assert.Equal("/etc/kube-flannel/", mounts["flannel-cfg"]);
        var volumes = pod.Volumes.ToDictionary(v => v.Name);
        Assert.Equal("/run/flannel", volumes["run"].HostPath.Path);
        Assert.Equal("kube-flannel-cfg", volumes["flannel-cfg"].ConfigMap.Name);
        Assert.Equal("/etc/cni/net.d", volumes["cni"].HostPath.Path);
        Assert.Equal("/opt/cni/bin", volumes["cni-plugin"].HostPath.Path);
    }

    [Fact]
    public void TheConfigMapHoldsAVxlanNetConf()
    {
        V1ConfigMap config = Objects.OfType<V1ConfigMap>().Single();
        using var netConf = System.Text.Json.JsonDocument.Parse(config.Data["net-conf.json"]);
        Assert.Equal("10.244.0.0/16", netConf.RootElement.GetProperty("Network").GetString());
        Assert.Equal("vxlan", netConf.RootElement.GetProperty("Backend").GetProperty("Type").GetString());
        Assert.Contains("\"type\": \"flannel\"", config.Data["cni-conf.json"], StringComparison.Ordinal);
    }
}
