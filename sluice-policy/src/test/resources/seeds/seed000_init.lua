kumo.on('init', function()
  -- Make a source that will emit from 10.0.0.1, via a proxy server
  kumo.define_egress_source {
    name = 'ip-1',
    source_address = '10.0.5.1',
    ha_proxy_source_address = '10.0.0.1',
    ha_proxy_server = '10.0.5.10:5000',
    ehlo_domain = 'mta1.examplecorp.com',
  }
end)
