/** Memory of proxy addresses that failed recently, so they are tried last. */
package dev.sluice.egress.route;
